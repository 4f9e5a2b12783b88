//! The policy map drawn: the summary, the picture, and the flows and groups as tables, rendered
//! to HTML on the server only. Nothing here is interactive (links, and tooltips in the SVG), so
//! the browser never needs this code or the map's data: the page places the HTML (see
//! [`super::model::ShownMap`]).

use super::drawing::{Drawing, EndBox, draw};
use crate::domain::traffic::map::{Flow, FlowSide, MapEnd, PolicyMap};
use crate::domain::traffic::question::pod_choice;
use crate::domain::traffic::{PolicyRef, Protocol};
use leptos::prelude::*;

/// More flows than this are not tabled one by one unless one group is asked for: the table
/// lists each group with its flows' counts and a link to them instead. Two thousand rows say no
/// more than a hundred, and would weigh a megabyte.
pub const TABLE_ROWS: usize = 500;

/// The map as HTML, every text in it escaped; `focus` (a Pod's name) narrows it to the flows
/// from and to that Pod's group.
pub fn map_html(map: &PolicyMap, focus: Option<&str>) -> String {
    Owner::new().with(|| map_body(map, focus).to_html())
}

/// The index of the group `pod` is in.
fn group_of(map: &PolicyMap, pod: &str) -> Option<usize> {
    map.groups
        .iter()
        .position(|group| group.pods.iter().any(|p| p == pod))
}

fn map_body(map: &PolicyMap, focus: Option<&str>) -> impl IntoView + use<> {
    let summary = if map.groups.is_empty() {
        format!(
            "Namespace {} has no Pods yet; the map shows them once they run.",
            map.namespace
        )
    } else {
        let pods = map.groups.iter().map(|g| g.pods.len()).sum::<usize>();
        format!(
            "{pods} Pod{} in {} group{}, {} polic{}, {} allowed flow{}.",
            plural(pods),
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
    let ends = Ends::new(map);
    let focused = focus.map(|pod| (pod, group_of(map, pod)));
    let whole = format!("/networkpolicies/map?ns={}", ends.namespace);
    let focus_note = focused.map(|(pod, group)| match group {
        Some(index) => view! {
            <p class="notice" id="map-focus">
                {format!("Only the flows from and to the group of Pod {pod} ({}). ", ends.titles[index])}
                <a href=whole.clone()>"The whole map"</a>
            </p>
        }
        .into_any(),
        None => view! {
            <p class="notice warning" id="map-focus">
                {format!("No Pod {pod} is in this namespace now; this is the whole map. ")}
            </p>
        }
        .into_any(),
    });
    let drawn = (!map.groups.is_empty()).then(|| match focused.and_then(|(_, group)| group) {
        Some(index) => {
            let touches = |end: MapEnd| end == MapEnd::Group { index };
            let narrowed = PolicyMap {
                flows: map
                    .flows
                    .iter()
                    .filter(|flow| touches(flow.from) || touches(flow.to))
                    .cloned()
                    .collect(),
                ..map.clone()
            };
            view! {
                <MapPicture drawing=draw(&narrowed) flows=narrowed.flows.len() groups=narrowed.groups.len()/>
                {flow_table(&narrowed, &ends)}
                {group_table(map, &ends)}
            }
            .into_any()
        }
        None => view! {
            <MapPicture drawing=draw(map) flows=map.flows.len() groups=map.groups.len()/>
            {if map.flows.len() > TABLE_ROWS {
                flows_by_group(map, &ends).into_any()
            } else {
                flow_table(map, &ends).into_any()
            }}
            {group_table(map, &ends)}
        }
        .into_any(),
    });
    view! {
        <p id="map-summary">{summary}</p>
        {focus_note}
        {problems}
        {drawn}
    }
}

/// The flows counted by group, each group linking to its own flows: the table for a map with
/// more than [`TABLE_ROWS`] flows.
fn flows_by_group(map: &PolicyMap, ends: &Ends) -> impl IntoView + use<> {
    let mut out = vec![0usize; map.groups.len()];
    let mut into = vec![0usize; map.groups.len()];
    for flow in &map.flows {
        if let MapEnd::Group { index } = flow.from
            && let Some(count) = out.get_mut(index)
        {
            *count += 1;
        }
        if let MapEnd::Group { index } = flow.to
            && let Some(count) = into.get_mut(index)
        {
            *count += 1;
        }
    }
    let rows = map
        .groups
        .iter()
        .enumerate()
        .map(|(index, group)| {
            let href = group.pods.first().map(|pod| {
                format!(
                    "/networkpolicies/map?ns={}&pod={}#flows",
                    ends.namespace,
                    crate::links::query_value(pod)
                )
            });
            view! {
                <tr>
                    <td>{ends.titles[index].clone()}</td>
                    <td>{out[index].to_string()}</td>
                    <td>{into[index].to_string()}</td>
                    <td>{href.map(|href| view! { <a href=href>"Its flows"</a> })}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <h2>"Allowed flows"</h2>
        <p id="flows-by-group">
            {format!(
                "{} flows are too many to list on one page: here are the groups with how many flows leave and reach each. Open a group for its flows and the rules that allow them.",
                map.flows.len()
            )}
        </p>
        <div class="table-scroll">
            <table class="matrix" id="flows">
                <thead><tr><th>"Group"</th><th>"Flows out"</th><th>"Flows in"</th><th><span class="visually-hidden">"Open"</span></th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
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
                {format!("{not_drawn} more flows are not drawn, to keep the picture readable; the table below leads to every one.")}
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

/// What the flow table writes for each end, worked out once per map rather than once per flow
/// (a busy namespace has thousands of flows between a hundred groups).
struct Ends {
    /// Each group's title.
    titles: Vec<String>,
    /// Each group's check-form value (its first Pod), percent-encoded.
    choices: Vec<String>,
    /// The namespace, percent-encoded.
    namespace: String,
}

impl Ends {
    fn new(map: &PolicyMap) -> Self {
        Self {
            titles: map.groups.iter().map(|group| group.title()).collect(),
            choices: map
                .groups
                .iter()
                .map(|group| {
                    group
                        .pods
                        .first()
                        .map(|pod| crate::links::query_value(&pod_choice(pod)))
                        .unwrap_or_default()
                })
                .collect(),
            namespace: crate::links::query_value(&map.namespace),
        }
    }

    fn title(&self, end: MapEnd) -> &str {
        match end {
            MapEnd::Group { index } => self.titles.get(index).map_or("", String::as_str),
            MapEnd::IngressController => "the ingress controller",
            MapEnd::Dns => "the cluster DNS",
            MapEnd::Internet => "the internet",
        }
    }

    fn choice(&self, end: MapEnd) -> &str {
        match end {
            MapEnd::Group { index } => self.choices.get(index).map_or("", String::as_str),
            MapEnd::IngressController => "ingress-controller",
            MapEnd::Dns => "dns",
            MapEnd::Internet => "internet",
        }
    }

    /// The check page with `flow` asked: from the source's first Pod to the destination's, on
    /// a web port when the flow allows one, else on its first port.
    fn check_link(&self, flow: &Flow) -> String {
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
        format!(
            "/networkpolicies/check?ns={}&from={}&to={}&protocol={}&port={port}",
            self.namespace,
            self.choice(flow.from),
            self.choice(flow.to),
            protocol.as_str(),
        )
    }
}

/// One side of a flow in words: the first rule that allows it, and how many others also do
/// (the check page, one link away, quotes them all).
fn side_words(side: &FlowSide, direction: &str) -> String {
    match side {
        FlowSide::NotIsolated => format!("{direction}: no policy isolates it"),
        FlowSide::Rules { rules } => match rules.as_slice() {
            [] => format!("{direction}: no rule"),
            [rule] => format!("{direction}: {rule}"),
            [rule, others @ ..] => format!(
                "{direction}: {rule} and {} other rule{}",
                others.len(),
                plural(others.len())
            ),
        },
        FlowSide::Platform => format!("{direction}: the platform's policies"),
        FlowSide::Outside => format!("{direction}: not a Pod, no policies"),
    }
}

fn flow_table(map: &PolicyMap, ends: &Ends) -> impl IntoView + use<> {
    let rows = map
        .flows
        .iter()
        .map(|flow| {
            view! {
                <tr>
                    <td>{ends.title(flow.from).to_owned()}</td>
                    <td>{ends.title(flow.to).to_owned()}</td>
                    <td>{flow.ports.to_string()}</td>
                    <td>
                        <span class="rules">{side_words(&flow.egress, "egress")}</span>
                        <br/>
                        <span class="rules">{side_words(&flow.ingress, "ingress")}</span>
                    </td>
                    <td><a href=ends.check_link(flow)>"Check"</a></td>
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

fn group_table(map: &PolicyMap, ends: &Ends) -> impl IntoView + use<> {
    view! {
        <h2>"Groups"</h2>
        <div class="table-scroll">
            <table class="matrix" id="groups">
                <thead><tr><th>"Labels the policies select by"</th><th>"Pods"</th><th>"Ingress isolated by"</th><th>"Egress isolated by"</th></tr></thead>
                <tbody>
                    {map.groups.iter().zip(&ends.titles).map(|(group, title)| view! {
                        <tr>
                            <td>{title.clone()}</td>
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

#[cfg(test)]
mod tests {
    use super::map_html;
    use crate::domain::traffic::map::MapEnd;
    use crate::domain::traffic::map::map;
    use crate::domain::traffic::question::{NamespaceObjects, Platform};
    use crate::domain::traffic::{ContainerPort, NamespaceInfo, PodInfo};

    fn drawn(
        pods: Vec<PodInfo>,
        policies: &[&str],
    ) -> (crate::domain::traffic::map::PolicyMap, String) {
        let objects = NamespaceObjects {
            namespace: NamespaceInfo::new("shop", [("team", "a")]),
            pods,
            policies: policies
                .iter()
                .map(|json| serde_json::from_str(json).expect("a policy"))
                .collect(),
        };
        let map = map(
            &objects,
            &Platform {
                ingress_namespace: "ingress-nginx".into(),
            },
        );
        let html = map_html(&map, None);
        (map, html)
    }

    /// Rows of the table with `id`, its header included.
    fn rows(html: &str, id: &str) -> usize {
        let start = html.find(&format!(r#"id="{id}""#)).expect(id);
        let end = start + html[start..].find("</table>").expect("the table ends");
        html[start..end].matches("<tr").count()
    }

    /// `count` Pods, each its own group (one policy reads their `app` label and lets anything
    /// in): every group reaches every other.
    fn busy(count: usize) -> crate::domain::traffic::map::PolicyMap {
        let names: Vec<String> = (0..count).map(|i| format!("p-{i}")).collect();
        let pods = names
            .iter()
            .map(|name| PodInfo::new("shop", name, [("app", name.as_str())]))
            .collect();
        drawn(
            pods,
            &[r#"{"metadata": {"name": "open", "namespace": "shop"},
                  "spec": {"podSelector": {"matchExpressions": [{"key": "app", "operator": "Exists"}]},
                           "ingress": [{}]}}"#],
        )
        .0
    }

    #[test]
    fn a_map_with_too_many_flows_tables_them_by_group_and_each_group_opens_its_own() {
        let map = busy(30);
        assert_eq!(map.groups.len(), 30);
        assert!(map.flows.len() > super::TABLE_ROWS, "{}", map.flows.len());
        let html = map_html(&map, None);
        assert!(html.contains(r#"id="flows-by-group""#), "{html}");
        assert_eq!(rows(&html, "flows"), 31, "a row per group");
        assert!(
            !html.contains("spec.ingress[0]"),
            "no flow is listed one by one"
        );
        assert!(
            html.contains("/networkpolicies/map?ns=shop&amp;pod=p-3#flows"),
            "{html}"
        );

        let index = super::group_of(&map, "p-3").expect("p-3 has a group");
        assert_eq!(map.groups[index].pods, ["p-3"]);
        let group = |end| end == MapEnd::Group { index };
        let touching = map
            .flows
            .iter()
            .filter(|flow| group(flow.from) || group(flow.to))
            .count();
        let focused = map_html(&map, Some("p-3"));
        assert!(
            focused.contains("Only the flows from and to the group of Pod p-3 (app=p-3)."),
            "{focused}"
        );
        assert_eq!(rows(&focused, "flows"), touching + 1, "{focused}");
        assert!(
            focused.contains("ingress: shop/open spec.ingress[0]"),
            "{focused}"
        );
        assert!(
            focused.contains(r#"href="/networkpolicies/map?ns=shop""#),
            "{focused}"
        );
    }

    #[test]
    fn a_pod_that_is_not_there_shows_the_whole_map_and_says_so() {
        let map = busy(3);
        let html = map_html(&map, Some("ghost<1>"));
        assert!(
            html.contains("No Pod ghost&lt;1&gt; is in this namespace now; this is the whole map."),
            "{html}"
        );
        assert_eq!(rows(&html, "flows"), map.flows.len() + 1);
    }

    #[test]
    fn the_drawn_map_has_the_picture_and_a_row_for_every_flow_and_group() {
        let (map, html) = drawn(
            vec![
                PodInfo::new("shop", "web", [("app", "web")]),
                PodInfo::new("shop", "api", [("app", "api")])
                    .with_port(ContainerPort::tcp("http", 8080)),
            ],
            &[
                r#"{"metadata": {"name": "api-from-web", "namespace": "shop"},
                  "spec": {"podSelector": {"matchLabels": {"app": "api"}},
                           "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "web"}}}],
                                        "ports": [{"port": "http"}]}]}}"#,
            ],
        );
        assert!(html.contains("<svg"), "{html}");
        assert!(html.contains("2 Pods in 2 groups, 1 policy"), "{html}");
        assert!(!map.flows.is_empty());
        assert_eq!(
            rows(&html, "flows"),
            map.flows.len() + 1,
            "a header and a row per flow"
        );
        assert_eq!(rows(&html, "groups"), map.groups.len() + 1);
        assert!(
            html.contains("ingress: shop/api-from-web spec.ingress[0]"),
            "the rule that allows web to api is named: {html}"
        );
    }

    #[test]
    fn a_flow_names_its_first_allowing_rule_and_counts_the_others() {
        let (map, html) = drawn(
            vec![
                PodInfo::new("shop", "web", [("app", "web")]),
                PodInfo::new("shop", "api", [("app", "api")]),
            ],
            &[
                r#"{"metadata": {"name": "a-api-from-web", "namespace": "shop"},
                    "spec": {"podSelector": {"matchLabels": {"app": "api"}},
                             "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "web"}}}]}]}}"#,
                r#"{"metadata": {"name": "b-api-from-the-namespace", "namespace": "shop"},
                    "spec": {"podSelector": {"matchLabels": {"app": "api"}},
                             "ingress": [{"from": [{"podSelector": {}}]}]}}"#,
            ],
        );
        let rules = map
            .flows
            .iter()
            .find_map(|flow| match &flow.ingress {
                crate::domain::traffic::map::FlowSide::Rules { rules } if rules.len() == 2 => {
                    Some(rules.clone())
                }
                _ => None,
            })
            .expect("web to api is allowed by both policies");
        let words = format!("ingress: {} and 1 other rule<", rules[0]);
        assert!(html.contains(&words), "{words} in {html}");
        assert!(
            !html.contains(&format!("{}, {}", rules[0], rules[1])),
            "{html}"
        );
    }

    #[test]
    fn names_from_the_cluster_are_escaped() {
        let (_, html) = drawn(
            vec![PodInfo::new(
                "shop",
                "a<b>&\"c",
                [("app", "<script>x</script>")],
            )],
            &[r#"{"metadata": {"name": "p", "namespace": "shop"},
                  "spec": {"podSelector": {"matchLabels": {"app": "<script>x</script>"}}}}"#],
        );
        assert!(!html.contains("<script>"), "{html}");
        assert!(!html.contains("a<b>"), "{html}");
        assert!(html.contains("a&lt;b&gt;&amp;"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
    }

    #[test]
    fn a_namespace_without_pods_says_so_and_draws_nothing() {
        let (_, html) = drawn(Vec::new(), &[]);
        assert!(html.contains("Namespace shop has no Pods yet"), "{html}");
        assert!(!html.contains("<svg"), "{html}");
        assert!(!html.contains("<table"), "{html}");
    }
}
