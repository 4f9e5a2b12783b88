//! Markdown → the HTML the entry page shows, and the plain text the search index reads.
//!
//! Entries may come from an operator's folder, so their Markdown is treated as untrusted:
//!
//! - raw HTML (blocks and inline tags) is shown as text, never passed through;
//! - links keep their target only when it is a relative path, an `#anchor`, `http(s)://` or
//!   `mailto:`; any other target (`javascript:`, `data:`, `//host` …) leaves just the link text;
//! - images become their description: no remote content is loaded into the portal's pages;
//! - all text, attributes and targets are escaped by pulldown-cmark's HTML writer.
//!
//! Headings get ids (so `/faq/SLUG#section` works) and a visible `#` link. Top-level code blocks
//! are returned as separate [`BodyBlock::Code`]s so the page can give each a copy button.

use app::features::faq::model::BodyBlock;
use pulldown_cmark::{CodeBlockKind, CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

/// An entry body, ready to show and to index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub blocks: Vec<BodyBlock>,
    /// All the words a reader sees, code included, for the search index.
    pub text: String,
}

/// Ids the page itself uses; a heading with the same text gets a suffix instead.
const RESERVED_IDS: &[&str] = &["main", "faq-search", "faq-results", "faq-entry", "feedback"];

pub fn render(markdown: &str) -> Rendered {
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    let events: Vec<Event<'_>> = Parser::new_ext(markdown, options).collect();

    let mut renderer = Renderer::default();
    let mut i = 0;
    while let Some(event) = events.get(i) {
        match event {
            Event::Start(Tag::CodeBlock(kind)) if renderer.depth == 0 => {
                let language = match kind {
                    CodeBlockKind::Fenced(info) => info
                        .split_whitespace()
                        .next()
                        .map(str::to_owned)
                        .filter(|lang| !lang.is_empty()),
                    CodeBlockKind::Indented => None,
                };
                let mut code = String::new();
                i += 1;
                while let Some(event) = events.get(i) {
                    match event {
                        Event::End(TagEnd::CodeBlock) => break,
                        Event::Text(text) | Event::Html(text) => code.push_str(text),
                        _ => {}
                    }
                    i += 1;
                }
                renderer.code_block(language, code);
            }
            Event::Start(Tag::Heading { level, .. }) => {
                // The heading's text decides its id, so look ahead to its end first.
                let end = events[i..]
                    .iter()
                    .position(|event| matches!(event, Event::End(TagEnd::Heading(_))))
                    .map_or(events.len(), |offset| i + offset);
                let inner = events.get(i + 1..end).unwrap_or_default();
                renderer.heading(*level, inner);
                i = end;
            }
            other => renderer.event(other.clone()),
        }
        i += 1;
    }
    renderer.finish()
}

#[derive(Default)]
struct Renderer<'a> {
    blocks: Vec<BodyBlock>,
    pending: Vec<Event<'a>>,
    text: String,
    ids: Vec<String>,
    /// How deep inside block containers (lists, quotes, tables …) the current event is.
    depth: usize,
    /// For each open link or image: whether its start tag was kept (so its end is kept too).
    links: Vec<bool>,
}

impl<'a> Renderer<'a> {
    fn event(&mut self, event: Event<'a>) {
        match event {
            Event::Start(tag) => self.start(tag),
            Event::End(end) => self.end(end),
            Event::Text(text) => {
                self.text.push_str(&text);
                self.pending.push(Event::Text(text));
            }
            Event::Code(code) => {
                self.text.push_str(&code);
                self.pending.push(Event::Code(code));
            }
            // Raw HTML is shown as the text it is.
            Event::Html(html) | Event::InlineHtml(html) => {
                self.text.push_str(&html);
                self.pending.push(Event::Text(html));
            }
            Event::InlineMath(math) | Event::DisplayMath(math) => {
                self.text.push_str(&math);
                self.pending.push(Event::Code(math));
            }
            Event::SoftBreak | Event::HardBreak => {
                self.text.push(' ');
                self.pending.push(event);
            }
            Event::FootnoteReference(_) | Event::Rule | Event::TaskListMarker(_) => {
                self.pending.push(event);
            }
        }
    }

    fn start(&mut self, tag: Tag<'a>) {
        if is_block(&tag) {
            self.depth += 1;
        }
        match tag {
            Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            } => {
                let keep = is_safe_link(&dest_url);
                self.links.push(keep);
                if keep {
                    self.pending.push(Event::Start(Tag::Link {
                        link_type,
                        dest_url,
                        title,
                        id,
                    }));
                }
            }
            // The description stays, as text; the image is never loaded.
            Tag::Image { .. } => self.links.push(false),
            // A block of raw HTML becomes a paragraph showing that HTML as text.
            Tag::HtmlBlock => self.pending.push(Event::Start(Tag::Paragraph)),
            Tag::MetadataBlock(_) => {}
            other => self.pending.push(Event::Start(other)),
        }
    }

    fn end(&mut self, end: TagEnd) {
        if is_block_end(end) {
            self.depth = self.depth.saturating_sub(1);
            self.text.push('\n');
        }
        match end {
            TagEnd::Link | TagEnd::Image => {
                if self.links.pop() == Some(true) {
                    self.pending.push(Event::End(end));
                }
            }
            TagEnd::HtmlBlock => self.pending.push(Event::End(TagEnd::Paragraph)),
            TagEnd::MetadataBlock(_) => {}
            other => self.pending.push(Event::End(other)),
        }
    }

    fn heading(&mut self, level: HeadingLevel, inner: &[Event<'a>]) {
        // The page's title is the only <h1>; a `#` heading in the body becomes a section.
        let level = if level == HeadingLevel::H1 {
            HeadingLevel::H2
        } else {
            level
        };
        let words: String = inner
            .iter()
            .filter_map(|event| match event {
                Event::Text(text) | Event::Code(text) => Some(text.as_ref()),
                _ => None,
            })
            .collect();
        let id = self.unique_id(&words);
        self.pending.push(Event::Start(Tag::Heading {
            level,
            id: Some(CowStr::from(id.clone())),
            classes: Vec::new(),
            attrs: Vec::new(),
        }));
        for event in inner {
            self.event(event.clone());
        }
        // Our own markup, after the heading's escaped text; the id is [a-z0-9-] only.
        self.pending.push(Event::InlineHtml(CowStr::from(format!(
            " <a class=\"anchor\" href=\"#{id}\" aria-label=\"Link to this section\">#</a>"
        ))));
        self.pending.push(Event::End(TagEnd::Heading(level)));
        self.text.push('\n');
    }

    fn code_block(&mut self, language: Option<String>, code: String) {
        self.flush();
        self.text.push_str(&code);
        self.text.push('\n');
        self.blocks.push(BodyBlock::Code { language, code });
    }

    /// The id for a heading: its words in lower case joined by hyphens, made unique.
    fn unique_id(&mut self, words: &str) -> String {
        let mut base = String::new();
        for word in words
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
        {
            if !base.is_empty() {
                base.push('-');
            }
            base.extend(
                word.chars()
                    .filter(char::is_ascii_alphanumeric)
                    .map(|c| c.to_ascii_lowercase()),
            );
        }
        let base = base.trim_matches('-').replace("--", "-");
        let base = if base.is_empty() {
            "section".to_owned()
        } else {
            base
        };
        let mut id = base.clone();
        let mut n = 2;
        while self.ids.contains(&id) || RESERVED_IDS.contains(&id.as_str()) {
            id = format!("{base}-{n}");
            n += 1;
        }
        self.ids.push(id.clone());
        id
    }

    fn flush(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let mut html = String::new();
        pulldown_cmark::html::push_html(&mut html, self.pending.drain(..));
        self.blocks.push(BodyBlock::Html(html));
    }

    fn finish(mut self) -> Rendered {
        self.flush();
        Rendered {
            blocks: self.blocks,
            text: self.text.trim().to_owned(),
        }
    }
}

/// Whether a link target is harmless: an anchor, a relative path, or an http(s) or mailto URL.
pub fn is_safe_link(url: &str) -> bool {
    let url = url.trim();
    if url.chars().any(|c| c.is_control() || c == '\\') {
        return false;
    }
    if url.starts_with('#') {
        return true;
    }
    // `//host/path` is relative to the scheme only: it leaves the portal.
    if url.starts_with("//") {
        return false;
    }
    let lower = url.to_ascii_lowercase();
    if ["http://", "https://", "mailto:"]
        .iter()
        .any(|scheme| lower.starts_with(scheme))
    {
        return true;
    }
    // A relative path has no scheme: no ':' before the first '/', '?' or '#'.
    let head = url.split(['/', '?', '#']).next().unwrap_or_default();
    !head.contains(':')
}

fn is_block(tag: &Tag<'_>) -> bool {
    !matches!(
        tag,
        Tag::Emphasis
            | Tag::Strong
            | Tag::Strikethrough
            | Tag::Superscript
            | Tag::Subscript
            | Tag::Link { .. }
            | Tag::Image { .. }
    )
}

fn is_block_end(end: TagEnd) -> bool {
    !matches!(
        end,
        TagEnd::Emphasis
            | TagEnd::Strong
            | TagEnd::Strikethrough
            | TagEnd::Superscript
            | TagEnd::Subscript
            | TagEnd::Link
            | TagEnd::Image
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn html(markdown: &str) -> String {
        render(markdown)
            .blocks
            .into_iter()
            .map(|block| match block {
                BodyBlock::Html(html) => html,
                BodyBlock::Code { code, .. } => format!("[code]{code}[/code]"),
            })
            .collect()
    }

    #[test]
    fn script_tags_are_shown_as_text() {
        for markdown in [
            "<script>alert(1)</script>",
            "Before <script>alert(1)</script> after",
            "<div onclick=\"alert(1)\">x</div>",
            "<img src=x onerror=alert(1)>",
            "text <b onmouseover=alert(1)>bold</b>",
            "<!-- comment --><style>body{display:none}</style>",
            "<iframe src=\"https://evil.example\"></iframe>",
        ] {
            let out = html(markdown);
            for tag in [
                "<script", "<div", "<img", "<b ", "<style", "<iframe", "<!--",
            ] {
                assert!(!out.contains(tag), "{markdown:?} rendered as {out:?}");
            }
        }
        assert_eq!(
            html("<script>alert(1)</script>"),
            "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n"
        );
    }

    #[test]
    fn unsafe_link_targets_leave_only_the_text() {
        for target in [
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            " javascript:alert(1)",
            "jav&#x09;ascript:alert(1)",
            "&#106;avascript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "vbscript:msgbox",
            "//evil.example/path",
            "file:///etc/passwd",
            "java\\script:alert(1)",
        ] {
            let out = html(&format!("[click]({target})"));
            assert!(!out.contains("<a"), "{target:?} rendered as {out:?}");
            assert!(out.contains("click"), "{target:?} lost its text: {out:?}");
        }
        let out = html("<a href=\"javascript:alert(1)\">x</a>");
        assert!(!out.contains("<a "), "{out}");
        let out = html("[x][r]\n\n[r]: javascript:alert(1)");
        assert!(!out.contains("<a"), "{out}");
        let out = html("<javascript:alert(1)>");
        assert!(!out.contains("<a"), "{out}");
    }

    #[test]
    fn safe_link_targets_are_kept_and_escaped() {
        for (target, href) in [
            ("/faq/admission-errors", "/faq/admission-errors"),
            ("#what-is-going-on", "#what-is-going-on"),
            ("https://krew.sigs.k8s.io/", "https://krew.sigs.k8s.io/"),
            (
                "http://example.com/a?b=1&c=2",
                "http://example.com/a?b=1&amp;c=2",
            ),
            ("mailto:platform@example.com", "mailto:platform@example.com"),
            ("other-entry", "other-entry"),
            ("../up?x=1:2", "../up?x=1:2"),
        ] {
            let out = html(&format!("[link]({target})"));
            assert!(
                out.contains(&format!("<a href=\"{href}\">link</a>")),
                "{target:?} → {out}"
            );
        }
        let out = html("[x](https://example.com/\"onmouseover=\"alert(1))");
        assert!(!out.contains("\"onmouseover"), "{out}");
    }

    #[test]
    fn images_become_their_description() {
        let out = html("![a diagram](https://tracker.example/pixel.png)");
        assert!(!out.contains("<img"), "{out}");
        assert!(out.contains("a diagram"), "{out}");
    }

    #[test]
    fn headings_get_unique_ids_and_anchor_links() {
        let out = html(
            "# Top\n\n## What is going on?\n\n## What is going on?\n\n### `kubectl` & <b>co</b>\n\n## Main",
        );
        assert!(
            out.contains("<h2 id=\"top\">Top <a class=\"anchor\" href=\"#top\""),
            "{out}"
        );
        assert!(out.contains("<h2 id=\"what-is-going-on\">"), "{out}");
        assert!(out.contains("<h2 id=\"what-is-going-on-2\">"), "{out}");
        assert!(
            out.contains("<h3 id=\"kubectl-co\"><code>kubectl</code> &amp; &lt;b&gt;co&lt;/b&gt;"),
            "{out}"
        );
        assert!(out.contains("<h2 id=\"main-2\">"), "{out}");
    }

    #[test]
    fn top_level_code_blocks_are_separate_and_verbatim() {
        let rendered =
            render("Run:\n\n```bash\necho \"<hi>\" && ls\n```\n\nDone.\n\n    indented\n");
        assert_eq!(
            rendered.blocks,
            vec![
                BodyBlock::Html("<p>Run:</p>\n".into()),
                BodyBlock::Code {
                    language: Some("bash".into()),
                    code: "echo \"<hi>\" && ls\n".into()
                },
                BodyBlock::Html("<p>Done.</p>\n".into()),
                BodyBlock::Code {
                    language: None,
                    code: "indented\n".into()
                },
            ]
        );
    }

    #[test]
    fn code_blocks_inside_lists_stay_in_place_escaped() {
        let out = html("- item\n\n  ```\n  <script>x</script>\n  ```\n");
        assert!(
            out.contains("<pre><code>&lt;script&gt;x&lt;/script&gt;"),
            "{out}"
        );
    }

    #[test]
    fn the_plain_text_has_every_word_including_code_and_errors() {
        let rendered = render(
            "Intro with `inline`.\n\n## Heading\n\n```text\nBad Request Unregistered redirect_uri\n```\n\n[link text](https://x.example)",
        );
        for word in [
            "Intro",
            "inline",
            "Heading",
            "Unregistered redirect_uri",
            "link text",
        ] {
            assert!(
                rendered.text.contains(word),
                "{word:?} missing from {:?}",
                rendered.text
            );
        }
        assert!(!rendered.text.contains("x.example"));
    }
}
