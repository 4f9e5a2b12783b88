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
mod tests;
