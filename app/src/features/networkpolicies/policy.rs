//! `/networkpolicies`: build a NetworkPolicy from a preset or from scratch.
//!
//! One GET form serves both ways of using the page. Without JavaScript every button submits it
//! and the server renders the result: "Generate", "Load preset", "Add a rule" and "Remove" (the
//! last two as `add=i` / `remove=e1`, see [`RowEdit`]), each keeping everything typed.
//! Hydrated, the result follows every keystroke and rows come and go in place.
//!
//! Each row shows only the inputs its kind of peer uses, and each direction its rows only while
//! it is restricted: the stylesheet does that from the selected option (`:has()`), so it works
//! the same without JavaScript. Inputs that are hidden that way are still submitted, and the
//! form ignores them for that kind, so switching back finds what was typed.

use super::output::{FormProblems, GeneratedPolicy, ShownProblem};
use crate::AppConfig;
use crate::domain::networkpolicy::{
    Preset,
    form::{Direction, FormField, FormProblem, MAX_ROWS, PolicyForm, RowEdit, RowField, RuleRow},
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use std::sync::Arc;

#[component]
pub fn PolicyPage() -> impl IntoView {
    view! {
        <Title text="NetworkPolicy generator"/>
        <h1>"NetworkPolicy generator"</h1>
        <p class="lead">
            "Describe which Pods may talk to yours. The manifest, a plain-words explanation and "
            "warnings for the classic mistakes update as you type. Need a one-off Pod? Use the "
            <a href="/networkpolicies/run">"safe kubectl run recipe"</a>"."
        </p>
        {match crate::page_context::config() {
            Some(config) => view! { <Editor config/> }.into_any(),
            None => view! { <p class="notice error">"The generator's settings could not be loaded; try again later."</p> }.into_any(),
        }}
    }
}

/// What the page starts with.
struct Initial {
    form: PolicyForm,
    /// The preset chosen in the list.
    preset: String,
    /// The field a submitted "Add a rule" or "Remove" leaves the keyboard at.
    focus: Option<FormField>,
}

/// The form as the query string describes it: a submitted form (maybe with a preset to load or a
/// row to add or remove), a linked preset, or the default (for the namespace a link names).
fn initial_form(config: &AppConfig) -> Initial {
    let query = use_query_map();
    query.with_untracked(|params| {
        let get = |key: &str| params.get(key);
        let preset = params
            .get("preset")
            .and_then(|id| Preset::ALL.into_iter().find(|p| p.id() == id));
        let chosen = preset.map(|p| p.id().to_owned()).unwrap_or_default();
        let namespace = |typed: Option<&str>| {
            typed
                .map(str::trim)
                .filter(|ns| !ns.is_empty())
                .map_or_else(|| PolicyForm::default().namespace, str::to_owned)
        };
        let typed = PolicyForm::from_params(get);
        let loading_preset = params.get("load").as_deref() == Some("preset");
        match (typed, preset) {
            // "Load preset" submits the whole form: the preset sets what it is about, the rest
            // stays as typed.
            (Some(typed), Some(preset)) if loading_preset => {
                let spec = preset.build(&namespace(Some(&typed.namespace)), &config.presets);
                Initial {
                    form: typed.with_preset(&spec),
                    preset: chosen,
                    focus: None,
                }
            }
            (Some(mut typed), _) => {
                let focus = RowEdit::from_params(get).map(|edit| typed.edit(edit));
                Initial {
                    form: typed,
                    preset: chosen,
                    focus,
                }
            }
            (None, Some(preset)) => Initial {
                form: PolicyForm::from_spec(
                    &preset.build(&namespace(params.get("ns").as_deref()), &config.presets),
                ),
                preset: chosen,
                focus: None,
            },
            (None, None) => Initial {
                form: PolicyForm {
                    namespace: namespace(params.get("ns").as_deref()),
                    ..PolicyForm::default()
                },
                preset: chosen,
                focus: None,
            },
        }
    })
}

/// The problems of the form as it is now, to show at each field.
#[derive(Clone, Copy)]
struct Problems(Memo<Vec<FormProblem>>);

impl Problems {
    /// The messages for `field`, joined; `None` when it is fine.
    fn at(self, field: FormField) -> Option<String> {
        self.0.with(|problems| {
            let messages: Vec<&str> = problems
                .iter()
                .filter(|p| p.field == Some(field))
                .map(|p| p.message.as_str())
                .collect();
            (!messages.is_empty()).then(|| messages.join(" "))
        })
    }
}

/// The id of the message shown next to a field.
fn error_id(field: FormField) -> String {
    format!("{}-error", field.name())
}

/// `aria-invalid` and `aria-describedby` for a field, following its problems.
fn invalid(
    problems: Problems,
    field: impl Fn() -> FormField + Copy + Send + Sync + 'static,
) -> (
    impl Fn() -> Option<&'static str> + Send + Sync + 'static,
    impl Fn() -> Option<String> + Send + Sync + 'static,
) {
    (
        move || problems.at(field()).map(|_| "true"),
        move || problems.at(field()).map(|_| error_id(field())),
    )
}

/// The message next to a field, when it has a problem.
#[component]
fn FieldMessage(problems: Problems, #[prop(into)] field: Signal<FormField>) -> impl IntoView {
    move || {
        let field = field.get();
        problems.at(field).map(|message| {
            view! { <p class="field-error" id=error_id(field)>{message}</p> }
        })
    }
}

#[component]
fn Editor(config: Arc<AppConfig>) -> impl IntoView {
    let Initial {
        form: initial,
        preset: chosen_preset,
        focus,
    } = initial_form(&config);
    // The fields outside the rows; the rows live in `ingress` and `egress`.
    let form = RwSignal::new(initial.clone());
    let ingress = Rows::new(initial.rows(Direction::Ingress));
    let egress = Rows::new(initial.rows(Direction::Egress));
    let current = Memo::new(move |_| {
        let mut current = form.get();
        current.ingress_rows = ingress.values();
        current.egress_rows = egress.values();
        current
    });
    let lint = config.lint.clone();
    let result = Memo::new(move |_| current.with(|form| form.generate(&lint)));
    let problems = Problems(Memo::new(move |_| {
        result.with(|result| result.as_ref().err().cloned().unwrap_or_default())
    }));
    let labels = move |field: FormField| current.with(|form| field_label(form, field));

    view! {
        // Enter in a text field submits with the form's default button: the first submit button
        // of the form in document order, wherever it sits. The preset's button below would be
        // that one, so an unseen Generate comes before it.
        <button type="submit" form="policy-form" class="visually-hidden" tabindex="-1" aria-hidden="true">"Generate"</button>
        // The preset controls belong to the policy form (`form="policy-form"`), so loading a
        // preset sends everything typed there along, with JavaScript or without.
        <div class="card preset-form">
            <label for="preset">"Start from a preset"</label>
            <div class="inline-form">
                <select id="preset" name="preset" form="policy-form">
                    {Preset::ALL.into_iter().map(|preset| view! {
                        <option value=preset.id() selected=preset.id() == chosen_preset>{preset.title()}</option>
                    }).collect_view()}
                </select>
                <button type="submit" form="policy-form" name="load" value="preset">"Load preset"</button>
            </div>
        </div>
        <div class="split">
            <form method="get" action="/networkpolicies" class="card policy-form" id="policy-form">
                <fieldset>
                    <legend>"Policy"</legend>
                    <Text label="Name" field=FormField::Name value=initial.name.clone() problems
                        set=move |v| form.update(|f| f.name = v)/>
                    <Text label="Namespace" field=FormField::Namespace value=initial.namespace.clone() problems
                        set=move |v| form.update(|f| f.namespace = v)/>
                    <label for="target">"Which Pods it applies to"</label>
                    <select id="target" name="target" on:change=move |ev| { let v = event_target_value(&ev); form.update(|f| f.target = v) }>
                        {TARGETS
                            .into_iter()
                            .map(|(value, text, _)| view! { <option value=value selected=initial.target == value>{text}</option> })
                            .collect_view()}
                    </select>
                    <TargetValue value=initial.target_value.clone() problems set=move |v| form.update(|f| f.target_value = v)/>
                </fieldset>
                <DirectionRules
                    direction=Direction::Ingress
                    restrict=initial.ingress
                    rows=ingress
                    focus
                    problems
                    set_restrict=move |on| form.update(|f| f.ingress = on)
                />
                <DirectionRules
                    direction=Direction::Egress
                    restrict=initial.egress
                    rows=egress
                    focus
                    problems
                    set_restrict=move |on| form.update(|f| f.egress = on)
                >
                    <label class="check">
                        <input type="checkbox" id="dns" name="dns" checked=initial.allow_dns
                            on:change=move |ev| { let on = event_target_checked(&ev); form.update(|f| f.allow_dns = on) }/>
                        " Allow DNS lookups (UDP and TCP 53 to kube-dns)"
                    </label>
                </DirectionRules>
                <button type="submit" id="generate">"Generate"</button>
            </form>
            <div class="card output" aria-live="polite">
                {move || match result.get() {
                    Ok(generated) => {
                        let name = generated.manifest_json["metadata"]["name"].as_str().unwrap_or("policy").to_owned();
                        view! { <GeneratedPolicy generated file_name=format!("{name}.yaml")/> }.into_any()
                    }
                    Err(problems) => {
                        let problems = problems
                            .into_iter()
                            .map(|p| ShownProblem {
                                at: p.field.map(|f| (f.name(), labels(f))),
                                message: p.message,
                            })
                            .collect();
                        view! { <FormProblems problems/> }.into_any()
                    }
                }}
            </div>
        </div>
    }
}

/// The choices of "Which Pods it applies to": value, text, and what its value field holds.
const TARGETS: [(&str, &str, &str); 3] = [
    ("all", "Every Pod in the namespace", ""),
    (
        "labels",
        "Pods with these labels",
        "Pod labels (key=value, separated by commas)",
    ),
    (
        "run",
        "The Pod that kubectl run NAME creates",
        "The name given to kubectl run",
    ),
];

#[component]
fn Text(
    label: &'static str,
    field: FormField,
    value: String,
    problems: Problems,
    set: impl Fn(String) + 'static,
) -> impl IntoView {
    let name = field.name();
    let (aria_invalid, described_by) = invalid(problems, move || field);
    view! {
        <label for=name.clone()>{label}</label>
        <input type="text" id=name.clone() name=name value=value autocomplete="off" spellcheck="false"
            aria-invalid=aria_invalid aria-describedby=described_by
            on:input=move |ev| set(event_target_value(&ev))/>
        <FieldMessage problems field=field/>
    }
}

/// The target's labels or `kubectl run` name; hidden (by the stylesheet) for every Pod.
#[component]
fn TargetValue(value: String, problems: Problems, set: impl Fn(String) + 'static) -> impl IntoView {
    let field = FormField::TargetValue;
    let (aria_invalid, described_by) = invalid(problems, move || field);
    view! {
        <div class="target-value">
            <label for="tv">
                {TARGETS.into_iter().filter(|(_, _, holds)| !holds.is_empty()).map(|(value, _, holds)| view! {
                    <span class="for-target" data-targets=value>{holds}</span>
                }).collect_view()}
                <span class="any-kind">"Labels (key=value, …) or the kubectl run name"</span>
            </label>
            <input type="text" id="tv" name="tv" value=value autocomplete="off" spellcheck="false"
                aria-invalid=aria_invalid aria-describedby=described_by
                on:input=move |ev| set(event_target_value(&ev))/>
            <FieldMessage problems field=field/>
        </div>
    }
}

/// A kind of peer a rule row can choose: its value, its text, and what its value and extra
/// inputs hold ("" for an input it does not use).
struct PeerKind {
    value: &'static str,
    text: &'static str,
    holds: &'static str,
    extra: &'static str,
}

const POD_LABELS: &str = "Pod labels (key=value, separated by commas; empty: every Pod)";
const NAMESPACE_LABELS: &str = "Namespace labels (key=value, separated by commas)";

static PEER_KINDS: [PeerKind; 8] = [
    PeerKind {
        value: "",
        text: "Choose…",
        holds: "",
        extra: "",
    },
    PeerKind {
        value: "anywhere",
        text: "Anywhere (allow all)",
        holds: "",
        extra: "",
    },
    PeerKind {
        value: "pods",
        text: "Pods of this namespace with labels",
        holds: POD_LABELS,
        extra: "",
    },
    PeerKind {
        value: "namespace",
        text: "Every Pod of the namespace named",
        holds: "Namespace name",
        extra: "",
    },
    PeerKind {
        value: "namespaceLabels",
        text: "Every Pod of namespaces with labels",
        holds: NAMESPACE_LABELS,
        extra: "",
    },
    PeerKind {
        value: "podsInNamespace",
        text: "Pods with labels in the namespace named",
        holds: "Namespace name",
        extra: POD_LABELS,
    },
    PeerKind {
        value: "podsInNamespaceLabels",
        text: "Pods with labels in namespaces with labels",
        holds: NAMESPACE_LABELS,
        extra: POD_LABELS,
    },
    PeerKind {
        value: "ipBlock",
        text: "IP addresses outside the cluster (CIDR)",
        holds: "IP range (CIDR), such as 203.0.113.0/24",
        extra: "IP ranges inside it to leave out (optional)",
    },
];

/// What an input of a row is called when its kind is not known (the label's fallback).
fn row_field_text(direction: Direction, field: RowField) -> &'static str {
    match (field, direction) {
        (RowField::Kind, Direction::Ingress) => "Allow from",
        (RowField::Kind, Direction::Egress) => "Allow to",
        (RowField::Value, _) => "Labels, namespace name or IP range",
        (RowField::Extra, _) => "Pod labels or IP ranges to leave out",
        (RowField::Ports, _) => "Ports (empty: every port)",
    }
}

fn rule_title(direction: Direction, index: usize) -> String {
    match direction {
        Direction::Ingress => format!("Incoming rule {}", index + 1),
        Direction::Egress => format!("Outgoing rule {}", index + 1),
    }
}

/// A field as the list of problems names it (the same words as its label).
fn field_label(form: &PolicyForm, field: FormField) -> String {
    match field {
        FormField::Name => "Name".into(),
        FormField::Namespace => "Namespace".into(),
        FormField::Target => "Which Pods it applies to".into(),
        FormField::TargetValue => TARGETS
            .into_iter()
            .find(|(value, _, holds)| *value == form.target && !holds.is_empty())
            .map_or("Which Pods it applies to", |(_, _, holds)| holds)
            .into(),
        FormField::Restrict(Direction::Ingress) => "Restrict incoming traffic".into(),
        FormField::Restrict(Direction::Egress) => "Restrict outgoing traffic".into(),
        FormField::AllowDns => "Allow DNS lookups".into(),
        FormField::Row(direction, index, input) => {
            let kind = form
                .rows(direction)
                .get(index)
                .and_then(|row| PEER_KINDS.iter().find(|k| k.value == row.kind));
            let text = match (input, kind) {
                (RowField::Value, Some(kind)) if !kind.holds.is_empty() => kind.holds,
                (RowField::Extra, Some(kind)) if !kind.extra.is_empty() => kind.extra,
                _ => row_field_text(direction, input),
            };
            format!("{}: {text}", rule_title(direction, index))
        }
    }
}

/// One direction's rows, with a key each so rows keep their inputs when one before them goes.
#[derive(Clone, Copy)]
struct Rows {
    list: RwSignal<Vec<(u64, RuleRow)>>,
    next_key: StoredValue<u64>,
    /// The row whose first input takes the keyboard focus once it is shown.
    focus: RwSignal<Option<u64>>,
}

impl Rows {
    fn new(rows: &[RuleRow]) -> Self {
        let list: Vec<(u64, RuleRow)> = (0u64..).zip(rows.iter().cloned()).collect();
        Self {
            next_key: StoredValue::new(list.len() as u64),
            list: RwSignal::new(list),
            focus: RwSignal::new(None),
        }
    }

    fn values(self) -> Vec<RuleRow> {
        self.list
            .with(|list| list.iter().map(|(_, row)| row.clone()).collect())
    }

    fn edit(self, key: u64, edit: impl FnOnce(&mut RuleRow)) {
        self.list.update(|list| {
            if let Some((_, row)) = list.iter_mut().find(|(k, _)| *k == key) {
                edit(row);
            }
        });
    }

    fn new_key(self) -> u64 {
        let key = self.next_key.get_value();
        self.next_key.set_value(key + 1);
        key
    }

    /// As [`PolicyForm::edit`] does without JavaScript: at most [`MAX_ROWS`].
    fn add(self) {
        let key = self.new_key();
        self.list.update(|list| {
            if list.len() < MAX_ROWS {
                list.push((key, RuleRow::default()));
            }
        });
        self.focus.set(Some(key));
    }

    /// As [`PolicyForm::edit`] does without JavaScript: at least one row stays.
    fn remove(self, key: u64) {
        let replacement = self.new_key();
        let mut focus = None;
        self.list.update(|list| {
            if let Some(index) = list.iter().position(|(k, _)| *k == key) {
                list.remove(index);
                if list.is_empty() {
                    list.push((replacement, RuleRow::default()));
                }
                focus = list.get(index.min(list.len() - 1)).map(|(k, _)| *k);
            }
        });
        self.focus.set(focus);
    }
}

#[component]
fn DirectionRules(
    direction: Direction,
    restrict: bool,
    rows: Rows,
    /// The field to focus after a submitted "Add a rule" or "Remove" (without JavaScript).
    focus: Option<FormField>,
    problems: Problems,
    set_restrict: impl Fn(bool) + 'static,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    let (legend, restrict_text, add_text) = match direction {
        Direction::Ingress => (
            "Incoming traffic (ingress)",
            " Restrict incoming traffic (then only what the rules allow gets in)",
            "Add an incoming rule",
        ),
        Direction::Egress => (
            "Outgoing traffic (egress)",
            " Restrict outgoing traffic (then only what the rules allow gets out)",
            "Add an outgoing rule",
        ),
    };
    let toggle = FormField::Restrict(direction);
    let (aria_invalid, described_by) = invalid(problems, move || toggle);
    let several = Memo::new(move |_| rows.list.with(|list| list.len() > 1));
    let full = Memo::new(move |_| rows.list.with(|list| list.len() >= MAX_ROWS));
    view! {
        <fieldset class="direction">
            <legend>{legend}</legend>
            <label class="check">
                <input type="checkbox" class="restrict" id=toggle.name() name=toggle.name() checked=restrict
                    aria-invalid=aria_invalid aria-describedby=described_by
                    on:change=move |ev| set_restrict(event_target_checked(&ev))/>
                {restrict_text}
            </label>
            <FieldMessage problems field=toggle/>
            <div class="rules">
                <ForEnumerate
                    each=move || rows.list.get()
                    key=|(key, _)| *key
                    children=move |index, (key, row)| view! {
                        <RuleRowInputs direction index key row rows several problems
                            autofocus=focus == Some(FormField::Row(direction, index.get_untracked(), RowField::Kind))/>
                    }
                />
                <button type="submit" class="secondary" name="add" value=RowEdit::Add(direction).value()
                    disabled=move || full.get()
                    on:click=move |ev| { ev.prevent_default(); rows.add(); }>
                    {add_text}
                </button>
                {children.map(|children| children())}
            </div>
        </fieldset>
    }
}

#[component]
fn RuleRowInputs(
    direction: Direction,
    index: ReadSignal<usize>,
    key: u64,
    row: RuleRow,
    rows: Rows,
    several: Memo<bool>,
    problems: Problems,
    autofocus: bool,
) -> impl IntoView {
    let field = move |input: RowField| FormField::Row(direction, index.get(), input);
    let name = move |input: RowField| move || field(input).name();
    let title = move || rule_title(direction, index.get());
    let hidden_title = move || format!("{}: ", title());
    let kind_select = NodeRef::<leptos::html::Select>::new();
    // Hydrated, a row added by "Add a rule" takes the focus once it is on the page.
    Effect::new(move |_| {
        if rows.focus.get() == Some(key)
            && let Some(select) = kind_select.get()
        {
            let _ = select.focus();
        }
    });
    let (kind_invalid, kind_described) = invalid(problems, move || field(RowField::Kind));
    let text_input = move |input: RowField, value: String, placeholder: &'static str| {
        let (aria_invalid, described_by) = invalid(problems, move || field(input));
        let kinds = PEER_KINDS
            .iter()
            .filter(|kind| match input {
                RowField::Value => !kind.holds.is_empty(),
                RowField::Extra => !kind.extra.is_empty(),
                _ => !kind.value.is_empty(),
            })
            .map(|kind| kind.value)
            .collect::<Vec<_>>()
            .join(" ");
        let texts = PEER_KINDS
            .iter()
            .filter_map(|kind| {
                let text = match input {
                    RowField::Value => kind.holds,
                    RowField::Extra => kind.extra,
                    _ => "",
                };
                (!text.is_empty()).then_some((kind.value, text))
            })
            .collect::<Vec<_>>();
        let generic = row_field_text(direction, input);
        view! {
            <div class="rule-field for-kind" data-kinds=kinds>
                <label for=name(input)>
                    <span class="visually-hidden">{hidden_title}</span>
                    {if texts.is_empty() {
                        view! { <span>{generic}</span> }.into_any()
                    } else {
                        view! {
                            {texts.into_iter().map(|(kind, text)| view! {
                                <span class="for-kind" data-kinds=kind>{text}</span>
                            }).collect_view()}
                            <span class="any-kind">{generic}</span>
                        }.into_any()
                    }}
                </label>
                <input type="text" id=name(input) name=name(input) value=value
                    placeholder=(!placeholder.is_empty()).then_some(placeholder)
                    autocomplete="off" spellcheck="false"
                    aria-invalid=aria_invalid aria-describedby=described_by
                    on:input=move |ev| {
                        let v = event_target_value(&ev);
                        rows.edit(key, |row| match input {
                            RowField::Value => row.value = v,
                            RowField::Extra => row.extra = v,
                            _ => row.ports = v,
                        });
                    }/>
                <FieldMessage problems field=Signal::derive(move || field(input))/>
            </div>
        }
    };
    view! {
        <fieldset class="rule-row">
            <legend>{title}</legend>
            <div class="rule-field">
                <label for=name(RowField::Kind)>
                    <span class="visually-hidden">{hidden_title}</span>
                    {row_field_text(direction, RowField::Kind)}
                </label>
                <select id=name(RowField::Kind) name=name(RowField::Kind) node_ref=kind_select autofocus=autofocus
                    aria-invalid=kind_invalid aria-describedby=kind_described
                    on:change=move |ev| { let v = event_target_value(&ev); rows.edit(key, |row| row.kind = v) }>
                    {PEER_KINDS.iter().map(|kind| view! {
                        <option value=kind.value selected=row.kind == kind.value>{kind.text}</option>
                    }).collect_view()}
                </select>
                <FieldMessage problems field=Signal::derive(move || field(RowField::Kind))/>
            </div>
            {text_input(RowField::Value, row.value.clone(), "")}
            {text_input(RowField::Extra, row.extra.clone(), "")}
            {text_input(RowField::Ports, row.ports.clone(), "443, UDP 53, 8000-8100")}
            {move || several.get().then(|| view! {
                <button type="submit" class="secondary remove" name="remove"
                    value=move || RowEdit::Remove(direction, index.get()).value()
                    on:click=move |ev| { ev.prevent_default(); rows.remove(key); }>
                    "Remove"<span class="visually-hidden">" "{move || title().to_lowercase()}</span>
                </button>
            })}
        </fieldset>
    }
}
