//! Unit tests of `markdown`.

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
    let rendered = render("Run:\n\n```bash\necho \"<hi>\" && ls\n```\n\nDone.\n\n    indented\n");
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
