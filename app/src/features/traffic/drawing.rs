//! The policy map as a picture: where each end's box and each flow's line go. Pure; the
//! server draws it into the page, readable without JavaScript.
//!
//! Two columns: where flows come from on the left (the namespace's groups, the ingress
//! controller, the internet), where they go on the right (the groups, the cluster DNS, the
//! internet). A group is on both sides, so a flow between its own Pods is a line across too.

use crate::domain::traffic::map::{MapEnd, PolicyMap};

pub const WIDTH: u32 = 760;
const BOX_WIDTH: u32 = 250;
const BOX_HEIGHT: u32 = 44;
const ROW: u32 = 60;
const TOP: u32 = 36;
const LEFT_X: u32 = 10;
const RIGHT_X: u32 = WIDTH - 10 - BOX_WIDTH;
/// Longer titles are cut in the box (the whole title is its tooltip and in the table).
const TITLE_CHARS: usize = 34;
const PORTS_CHARS: usize = 28;
/// More lines than this are not drawn: a picture of thousands of lines says nothing, and the
/// page would weigh megabytes. The table lists every flow.
pub const MAX_LINES: usize = 300;

/// One end's box.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndBox {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
    /// The whole title, for the tooltip.
    pub title: String,
    /// The title as it fits.
    pub label: String,
    /// A second line: how many Pods and whether they are isolated, or what the end is.
    pub detail: String,
    /// `group`, `platform` or `outside`, for the style.
    pub class: &'static str,
}

/// One flow's line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowLine {
    /// An SVG path (a curve from the source's box to the destination's).
    pub path: String,
    /// The ports, where they fit without covering another line's; `None` for a line of every
    /// port (solid says it) or when no free place is found (the tooltip and the table say it).
    pub label: Option<LineLabel>,
    /// "From … to …: ports", for the tooltip.
    pub title: String,
    /// Every port (drawn solid), or some (dashed).
    pub every_port: bool,
}

/// The ports written on a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineLabel {
    pub text: String,
    /// Its centre.
    pub x: u32,
    pub y: u32,
}

/// Where along a curve a label may go, tried in this order (0 is the source, 1 the
/// destination).
const LABEL_AT: [f64; 7] = [0.5, 0.35, 0.65, 0.25, 0.75, 0.2, 0.8];
/// How wide a character of the label is, about (11 px type), and how high a label is.
const LABEL_CHAR_WIDTH: f64 = 6.2;
const LABEL_HEIGHT: f64 = 13.0;

/// The point at `t` of the curve the line draws (a cubic Bézier from `(x1, y1)` to `(x2, y2)`
/// with both control points at the middle column).
fn on_curve((x1, y1): (f64, f64), (x2, y2): (f64, f64), t: f64) -> (f64, f64) {
    let middle = (x1 + x2) / 2.0;
    let u = 1.0 - t;
    let x = u * u * u * x1 + 3.0 * u * u * t * middle + 3.0 * u * t * t * middle + t * t * t * x2;
    let y = u * u * u * y1 + 3.0 * u * u * t * y1 + 3.0 * u * t * t * y2 + t * t * t * y2;
    (x, y)
}

/// The picture of one map.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drawing {
    pub width: u32,
    pub height: u32,
    pub sources: Vec<EndBox>,
    pub destinations: Vec<EndBox>,
    pub flows: Vec<FlowLine>,
    /// Flows not drawn (beyond [`MAX_LINES`]).
    pub not_drawn: usize,
}

fn cut(text: &str, chars: usize) -> String {
    if text.chars().count() <= chars {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(chars.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

fn end_box(map: &PolicyMap, end: MapEnd, x: u32, row: usize) -> EndBox {
    let title = map.end_title(end);
    let (detail, class) = match end {
        MapEnd::Group { index } => {
            let group = map.groups.get(index);
            let pods = group.map_or(0, |g| g.pods.len());
            let side = |isolated: bool| if isolated { "isolated" } else { "open" };
            (
                format!(
                    "{pods} Pod{} · in: {} · out: {}",
                    if pods == 1 { "" } else { "s" },
                    side(group.is_some_and(|g| !g.ingress_isolated_by.is_empty())),
                    side(group.is_some_and(|g| !g.egress_isolated_by.is_empty())),
                ),
                "group",
            )
        }
        MapEnd::IngressController => ("the platform's, for Ingresses".to_owned(), "platform"),
        MapEnd::Dns => ("the platform's, for names".to_owned(), "platform"),
        MapEnd::Internet => ("outside the cluster".to_owned(), "outside"),
    };
    EndBox {
        x,
        y: TOP
            + u32::try_from(row)
                .unwrap_or(u32::MAX / ROW)
                .saturating_mul(ROW),
        width: BOX_WIDTH,
        height: BOX_HEIGHT,
        label: cut(&title, TITLE_CHARS),
        title,
        detail,
        class,
    }
}

/// Lays out `map`.
pub fn draw(map: &PolicyMap) -> Drawing {
    let sources = map.sources();
    let destinations = map.destinations();
    let source_boxes: Vec<EndBox> = sources
        .iter()
        .enumerate()
        .map(|(row, end)| end_box(map, *end, LEFT_X, row))
        .collect();
    let destination_boxes: Vec<EndBox> = destinations
        .iter()
        .enumerate()
        .map(|(row, end)| end_box(map, *end, RIGHT_X, row))
        .collect();
    // Labels already placed, as (centre x, centre y, half width), so that none covers another.
    let mut placed: Vec<(f64, f64, f64)> = Vec::new();
    let flows = map
        .flows
        .iter()
        .take(MAX_LINES)
        .filter_map(|flow| {
            let from = sources
                .iter()
                .position(|end| *end == flow.from)
                .and_then(|i| source_boxes.get(i))?;
            let to = destinations
                .iter()
                .position(|end| *end == flow.to)
                .and_then(|i| destination_boxes.get(i))?;
            let (x1, y1) = (from.x + from.width, from.y + from.height / 2);
            let (x2, y2) = (to.x, to.y + to.height / 2);
            let middle = (x1 + x2) / 2;
            let ports = flow.ports.to_string();
            let every_port = flow.ports.is_every();
            let label = (!every_port)
                .then(|| {
                    let text = cut(&ports, PORTS_CHARS);
                    let half = text.chars().count() as f64 * LABEL_CHAR_WIDTH / 2.0 + 3.0;
                    let start = (f64::from(x1), f64::from(y1));
                    let end = (f64::from(x2), f64::from(y2));
                    LABEL_AT.iter().find_map(|t| {
                        let (x, y) = on_curve(start, end, *t);
                        let free = placed.iter().all(|(px, py, ph)| {
                            (x - px).abs() >= half + ph || (y - py).abs() >= LABEL_HEIGHT
                        });
                        free.then(|| {
                            placed.push((x, y, half));
                            LineLabel {
                                text: text.clone(),
                                x: x.round() as u32,
                                // The text's baseline, a little above the line.
                                y: (y - 3.0).round().max(0.0) as u32,
                            }
                        })
                    })
                })
                .flatten();
            Some(FlowLine {
                path: format!("M{x1} {y1} C{middle} {y1} {middle} {y2} {x2} {y2}"),
                label,
                title: format!("From {} to {}: {ports}", from.title, to.title),
                every_port,
            })
        })
        .collect();
    let rows = u32::try_from(sources.len().max(destinations.len())).unwrap_or(u32::MAX / ROW);
    Drawing {
        width: WIDTH,
        height: TOP + rows.saturating_mul(ROW),
        sources: source_boxes,
        destinations: destination_boxes,
        flows,
        not_drawn: map.flows.len().saturating_sub(MAX_LINES),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::traffic::Protocol;
    use crate::domain::traffic::map::{Flow, FlowSide, PodGroup};
    use crate::domain::traffic::portset::PortSet;

    fn group(labels: &[(&str, &str)], pods: &[&str]) -> PodGroup {
        PodGroup {
            labels: labels
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            pods: pods.iter().map(|p| (*p).to_owned()).collect(),
            named_ports: Vec::new(),
            ingress_isolated_by: Vec::new(),
            egress_isolated_by: Vec::new(),
        }
    }

    #[test]
    fn each_flow_runs_from_its_source_box_to_its_destination_box() {
        let mut http = PortSet::default();
        http.add(Protocol::Tcp, 8080, 8080);
        let map = PolicyMap {
            namespace: "shop".into(),
            groups: vec![
                group(&[("app", "web")], &["web-1", "web-2"]),
                group(&[("app", "a-very-long-application-name-indeed")], &["api"]),
            ],
            flows: vec![
                Flow {
                    from: MapEnd::IngressController,
                    to: MapEnd::Group { index: 0 },
                    ports: PortSet::every(),
                    egress: FlowSide::Platform,
                    ingress: FlowSide::NotIsolated,
                },
                Flow {
                    from: MapEnd::Group { index: 0 },
                    to: MapEnd::Group { index: 1 },
                    ports: http,
                    egress: FlowSide::NotIsolated,
                    ingress: FlowSide::NotIsolated,
                },
            ],
            policies: Vec::new(),
            problems: Vec::new(),
        };
        let drawing = draw(&map);
        // Two groups, then the ingress controller and the internet: four rows.
        assert_eq!(drawing.sources.len(), 4);
        assert_eq!(drawing.height, TOP + 4 * ROW);
        assert_eq!(drawing.sources[2].title, "the ingress controller");
        assert_eq!(drawing.sources[0].detail, "2 Pods · in: open · out: open");
        let long = &drawing.destinations[1];
        assert_eq!(long.label.chars().count(), TITLE_CHARS);
        assert!(long.label.ends_with('…') && long.title.ends_with("indeed"));

        let [from_controller, web_to_api] = drawing.flows.as_slice() else {
            panic!("two flows: {:?}", drawing.flows);
        };
        // From the right edge of row 2 on the left to the left edge of row 0 on the right.
        assert_eq!(
            from_controller.path,
            format!(
                "M{} {} C380 {} 380 {} {} {}",
                LEFT_X + BOX_WIDTH,
                TOP + 2 * ROW + BOX_HEIGHT / 2,
                TOP + 2 * ROW + BOX_HEIGHT / 2,
                TOP + BOX_HEIGHT / 2,
                RIGHT_X,
                TOP + BOX_HEIGHT / 2
            )
        );
        assert!(from_controller.every_port && !web_to_api.every_port);
        assert_eq!(from_controller.label, None, "solid says every port");
        let label = web_to_api.label.as_ref().expect("room for it");
        // Half way along the curve from row 0 to row 1: the middle column, between the rows.
        assert_eq!(label.text, "TCP 8080");
        assert_eq!(
            (label.x, label.y),
            (380, TOP + ROW / 2 + BOX_HEIGHT / 2 - 3)
        );
        assert_eq!(
            web_to_api.title,
            "From app=web to app=a-very-long-application-name-indeed: TCP 8080"
        );
    }

    #[test]
    fn beyond_the_limit_lines_are_counted_not_drawn() {
        let groups: Vec<PodGroup> = (0..20)
            .map(|i| group(&[("app", &format!("a{i}"))], &["p"]))
            .collect();
        let flows: Vec<Flow> = (0..20)
            .flat_map(|a| (0..20).map(move |b| (a, b)))
            .map(|(a, b)| Flow {
                from: MapEnd::Group { index: a },
                to: MapEnd::Group { index: b },
                ports: PortSet::every(),
                egress: FlowSide::NotIsolated,
                ingress: FlowSide::NotIsolated,
            })
            .collect();
        let map = PolicyMap {
            namespace: "busy".into(),
            groups,
            flows,
            policies: Vec::new(),
            problems: Vec::new(),
        };
        let drawing = draw(&map);
        assert_eq!(drawing.flows.len(), MAX_LINES);
        assert_eq!(drawing.not_drawn, 400 - MAX_LINES);
        assert_eq!(drawing.sources.len(), 22);
    }

    #[test]
    fn labels_that_would_cover_each_other_move_along_their_lines_or_are_left_out() {
        let mut dns = PortSet::default();
        dns.add(Protocol::Udp, 53, 53);
        let groups: Vec<PodGroup> = (0..4)
            .map(|i| group(&[("app", &format!("a{i}"))], &["p"]))
            .collect();
        // Four lines crossing at the same middle point: a0 to a3, a1 to a2, a2 to a1, a3 to a0.
        let flows: Vec<Flow> = (0..4)
            .map(|i| Flow {
                from: MapEnd::Group { index: i },
                to: MapEnd::Group { index: 3 - i },
                ports: dns.clone(),
                egress: FlowSide::NotIsolated,
                ingress: FlowSide::NotIsolated,
            })
            .collect();
        let map = PolicyMap {
            namespace: "crossing".into(),
            groups,
            flows,
            policies: Vec::new(),
            problems: Vec::new(),
        };
        let drawing = draw(&map);
        let labels: Vec<&LineLabel> = drawing
            .flows
            .iter()
            .filter_map(|f| f.label.as_ref())
            .collect();
        assert!(labels.len() >= 2, "{labels:?}");
        for (i, a) in labels.iter().enumerate() {
            for b in labels.iter().skip(i + 1) {
                let apart_x =
                    a.x.abs_diff(b.x) as f64 >= 2.0 * (6.0 * LABEL_CHAR_WIDTH / 2.0 + 3.0);
                let apart_y = a.y.abs_diff(b.y) as f64 >= LABEL_HEIGHT;
                assert!(apart_x || apart_y, "{a:?} covers {b:?}");
            }
        }
    }
}
