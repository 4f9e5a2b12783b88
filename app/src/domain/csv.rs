//! CSV for the exports administrators open in a spreadsheet (the access matrix, the audit
//! trail): RFC 4180 cells that a spreadsheet never runs as a formula.

/// One CSV cell: quoted when it holds a comma, quote or line break (quotes doubled), and a cell
/// a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, tab or carriage
/// return) gets a leading `'`.
pub fn cell(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

/// One CSV record of `cells`, ended by CRLF.
pub fn record<S: AsRef<str>>(cells: &[S]) -> String {
    let mut line = cells
        .iter()
        .map(|value| cell(value.as_ref()))
        .collect::<Vec<_>>()
        .join(",");
    line.push_str("\r\n");
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_that_a_spreadsheet_would_run_are_defused() {
        assert_eq!(cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(cell("+1"), "'+1");
        assert_eq!(cell("-1"), "'-1");
        assert_eq!(cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(cell("\tx"), "'\tx");
        assert_eq!(cell("\rx"), "\"'\rx\"");
    }

    #[test]
    fn cells_are_quoted_only_when_they_must_be() {
        assert_eq!(cell("team-a"), "team-a");
        assert_eq!(cell("équipe:α"), "équipe:α");
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("line\nbreak"), "\"line\nbreak\"");
        assert_eq!(cell("a,b\r\nc"), "\"a,b\r\nc\"");
    }

    #[test]
    fn a_record_joins_its_cells_and_ends_in_crlf() {
        assert_eq!(record(&["1", "a,b", "=x"]), "1,\"a,b\",'=x\r\n");
    }
}
