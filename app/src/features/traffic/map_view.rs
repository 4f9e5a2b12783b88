//! The policy map page: a namespace's Pods grouped by what its NetworkPolicies select, the
//! allowed flows as a picture drawn on the server, and the same facts as tables.

use super::api::load_policy_map;
use super::drawing::{Drawing, EndBox, draw};
use super::model::MapPage;
use super::view::PageError;
use crate::domain::traffic::map::{Flow, FlowSide, MapEnd, PolicyMap};
use crate::domain::traffic::question::pod_choice;
use crate::domain::traffic::{PolicyRef, Protocol};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// How often the hydrated page asks whether the map changed.
const REFRESH: std::time::Duration = std::time::Duration::from_secs(10);

#[component]
pub fn PolicyMapPage() -> impl IntoView {
    let query = use_query_map();
    let namespace = query.with_untracked(|params| params.get("ns"));
    let page = Resource::new(move || namespace.clone(), load_policy_map);
    // Hydrated, the page asks every ten seconds for the map and redraws only when the cluster
    // changed it. Without JavaScript, reloading shows the map as it is then.
    let shown = StoredValue::new(None::<MapPage>);
    Effect::new(move |_| {
        let Some(Ok(current)) = page.get() else {
            return;
        };
        let namespace = current.map.namespace.clone();
        shown.set_value(Some(current));
        let handle = set_interval_with_handle(
            move || {
                let namespace = namespace.clone();
                leptos::task::spawn_local(async move {
                    if let Ok(fresh) = load_policy_map(Some(namespace)).await
                        && shown.with_value(|shown| shown.as_ref() != Some(&fresh))
                    {
                        page.refetch();
                    }
                });
            },
            REFRESH,
        );
        if let Ok(handle) = handle {
            on_cleanup(move || handle.clear());
        }
    });
    view! {
        <Title text="Policy map"/>
        <h1>"Policy map"</h1>
        <p class="lead">
            "Which Pods of a namespace may talk to which, to the cluster DNS and the internet, and "
            "what the ingress controller may reach, as the NetworkPolicies in the cluster say now. "
            "Pods the policies treat alike are one box."
        </p>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || page.get().map(|page| match page {
                Ok(page) => view! { <MapView page/> }.into_any(),
                Err(error) => view! { <PageError error page="/networkpolicies/map"/> }.into_any(),
            })}
        </Transition>
    }
}

#[component]
fn MapView(page: MapPage) -> impl IntoView {
    let MapPage { namespaces, map } = page;
    let chosen = map.namespace.clone();
    let summary = if map.groups.is_empty() {
        format!(
            "Namespace {} has no Pods yet; the map shows them once they run.",
            map.namespace
        )
    } else {
        format!(
            "{} Pod{} in {} group{}, {} polic{}, {} allowed flow{}.",
            map.groups.iter().map(|g| g.pods.len()).sum::<usize>(),
            plural(map.groups.iter().map(|g| g.pods.len()).sum::<usize>()),
            map.groups.len(),
            plural(map.groups.len()),
            map.policies.len(),
            if map.policies.len() == 1 { "y" } else { "ies" },
            map.flows.len(),
            plural(map.flows.len()),
        )
    };
    let problems = (!map.problems.is_empty()).then(|| {
        view! {
            <div class="notice warning">
                <p>"Some policies have parts the cluster would not accept; the map reads them as the note says:"</p>
                <ul>{map.problems.iter().map(|p| view! { <li>{p.to_string()}</li> }).collect_view()}</ul>
            </div>
        }
    });
    let drawing = (!map.groups.is_empty()).then(|| draw(&map));
    view! {
        <form method="get" action="/networkpolicies/map" class="inline-form">
            <label for="ns">"Namespace"</label>
            <select id="ns" name="ns">
                {namespaces.into_iter().map(|name| {
                    let selected = name == chosen;
                    let label = name.clone();
                    view! { <option value=name selected=selected>{label}</option> }
                }).collect_view()}
            </select>
            <button type="submit">"Show"</button>
        </form>
        <p id="map-summary">{summary}</p>
        {problems}
        {drawing.map(|drawing| view! { <MapPicture drawing flows=map.flows.len() groups=map.groups.len()/> })}
        {(!map.groups.is_empty()).then(|| {
            // Shared, not copied: a busy namespace's map holds thousands of flows.
            let map = std::sync::Arc::new(map);
            view! { <FlowTable map=map.clone()/> <GroupTable map/> }
        })}
        <p class="muted">
            "Pods of other namespaces are not on the map: what they may do depends on their labels. "
            <a href=format!("/networkpolicies/check?ns={}", crate::links::query_value(&chosen))>"Ask about one connection"</a>
            " to check any other. Without JavaScript, reload the page to see changes."
        </p>
    }
}

fn plural(count: usize) -> &'static str {
    if count == 1 { "" } else { "s" }
}

#[component]
fn MapPicture(drawing: Drawing, flows: usize, groups: usize) -> impl IntoView {
    let Drawing {
        width,
        height,
        sources,
        destinations,
        flows: lines,
        not_drawn,
    } = drawing;
    let not_drawn = (not_drawn > 0).then(|| {
        view! {
            <p class="notice warning">
                {format!("{not_drawn} more flows are not drawn, to keep the picture readable; the table below lists every one.")}
            </p>
        }
    });
    let description = format!(
        "{groups} group{} of Pods and {flows} allowed flow{}; the table below lists the same flows.",
        plural(groups),
        plural(flows)
    );
    view! {
        <figure class="policy-map">
            <svg
                viewBox=format!("0 0 {width} {height}")
                width=width.to_string()
                role="img"
                aria-labelledby="map-title map-desc"
                xmlns="http://www.w3.org/2000/svg"
            >
                <title id="map-title">"Allowed flows"</title>
                <desc id="map-desc">{description}</desc>
                <text x="10" y="20" class="column">"From"</text>
                <text x=(width - 260).to_string() y="20" class="column">"To"</text>
                {lines.into_iter().map(|line| {
                    let class = if line.every_port { "flow every" } else { "flow some" };
                    view! {
                        <g class=class>
                            <title>{line.title}</title>
                            <path d=line.path/>
                            {line.label.map(|label| view! {
                                <text x=label.x.to_string() y=label.y.to_string() text-anchor="middle">{label.text}</text>
                            })}
                        </g>
                    }
                }).collect_view()}
                {sources.into_iter().chain(destinations).map(|b| view! { <EndBoxView b/> }).collect_view()}
            </svg>
            <figcaption class="muted">"Solid: every port. Dashed: the ports named on the line. Hover a line or a box for all of it."</figcaption>
            {not_drawn}
        </figure>
    }
}

#[component]
fn EndBoxView(b: EndBox) -> impl IntoView {
    let class = format!("end {}", b.class);
    view! {
        <g class=class>
            <title>{b.title}</title>
            <rect x=b.x.to_string() y=b.y.to_string() width=b.width.to_string() height=b.height.to_string() rx="6"/>
            <text x=(b.x + 10).to_string() y=(b.y + 18).to_string() class="end-title">{b.label}</text>
            <text x=(b.x + 10).to_string() y=(b.y + 35).to_string() class="end-detail">{b.detail}</text>
        </g>
    }
}

/// The check page's form value for an end, and a port to ask about (the flow's first).
fn check_link(map: &PolicyMap, flow: &Flow) -> String {
    let end = |end: MapEnd| match end {
        MapEnd::Group { index } => map
            .groups
            .get(index)
            .and_then(|g| g.pods.first())
            .map(|pod| pod_choice(pod))
            .unwrap_or_default(),
        MapEnd::IngressController => "ingress-controller".to_owned(),
        MapEnd::Dns => "dns".to_owned(),
        MapEnd::Internet => "internet".to_owned(),
    };
    // A web port when the flow allows one, else its first port.
    let (protocol, port) = [80, 443, 8080]
        .into_iter()
        .find(|port| flow.ports.contains(Protocol::Tcp, *port))
        .map(|port| (Protocol::Tcp, port))
        .or_else(|| {
            [Protocol::Tcp, Protocol::Udp, Protocol::Sctp]
                .into_iter()
                .find_map(|p| flow.ports.ranges(p).first().map(|(start, _)| (p, *start)))
        })
        .unwrap_or((Protocol::Tcp, 80));
    let params = [
        ("ns", map.namespace.clone()),
        ("from", end(flow.from)),
        ("to", end(flow.to)),
        ("protocol", protocol.as_str().to_owned()),
        ("port", port.to_string()),
    ];
    format!(
        "/networkpolicies/check?{}",
        params
            .iter()
            .map(|(name, value)| format!("{name}={}", crate::links::query_value(value)))
            .collect::<Vec<_>>()
            .join("&")
    )
}

fn side_words(side: &FlowSide, direction: &str) -> String {
    match side {
        FlowSide::NotIsolated => format!("{direction}: no policy isolates it"),
        FlowSide::Rules { rules } => format!(
            "{direction}: {}",
            rules
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        FlowSide::Platform => format!("{direction}: the platform's policies"),
        FlowSide::Outside => format!("{direction}: not a Pod, no policies"),
    }
}

#[component]
fn FlowTable(map: std::sync::Arc<PolicyMap>) -> impl IntoView {
    let rows = map
        .flows
        .iter()
        .map(|flow| {
            let href = check_link(&map, flow);
            view! {
                <tr>
                    <td>{map.end_title(flow.from)}</td>
                    <td>{map.end_title(flow.to)}</td>
                    <td>{flow.ports.to_string()}</td>
                    <td>
                        <span class="rules">{side_words(&flow.egress, "egress")}</span>
                        <br/>
                        <span class="rules">{side_words(&flow.ingress, "ingress")}</span>
                    </td>
                    <td><a href=href>"Check"</a></td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <h2>"Allowed flows"</h2>
        {if map.flows.is_empty() {
            view! { <p id="no-flows">"Nothing is allowed in or out of these Pods."</p> }.into_any()
        } else {
            view! {
                <div class="table-scroll">
                    <table class="matrix" id="flows">
                        <thead><tr><th>"From"</th><th>"To"</th><th>"Ports"</th><th>"Allowed by"</th><th><span class="visually-hidden">"Ask"</span></th></tr></thead>
                        <tbody>{rows}</tbody>
                    </table>
                </div>
            }.into_any()
        }}
        <p class="muted">"A pair that is not listed is denied: some policy isolates one side and no rule allows it."</p>
    }
}

fn names(policies: &[PolicyRef]) -> String {
    if policies.is_empty() {
        "no policy: open".to_owned()
    } else {
        policies
            .iter()
            .map(|p| p.name.clone())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[component]
fn GroupTable(map: std::sync::Arc<PolicyMap>) -> impl IntoView {
    view! {
        <h2>"Groups"</h2>
        <div class="table-scroll">
            <table class="matrix" id="groups">
                <thead><tr><th>"Labels the policies select by"</th><th>"Pods"</th><th>"Ingress isolated by"</th><th>"Egress isolated by"</th></tr></thead>
                <tbody>
                    {map.groups.iter().map(|group| view! {
                        <tr>
                            <td>{group.title()}</td>
                            <td>{group.pods.join(", ")}</td>
                            <td>{names(&group.ingress_isolated_by)}</td>
                            <td>{names(&group.egress_isolated_by)}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}
