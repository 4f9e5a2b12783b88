//! Mutation locations and path tests, as Gatekeeper v3.21.1 reads them
//! (`pkg/mutation/path/token`, `path/parser` and `path/tester`).
//!
//! A location is a list of fields separated by dots, where a field may be followed by one list
//! selector: `spec.containers[name: foo].securityContext.runAsNonRoot`. A field or a list key is
//! either a bare word of letters, digits, `_` and `-` (not starting with a digit) or a quoted
//! string (`"a.b/c"` or `'a.b/c'`, where a backslash keeps the next character as it is). A list
//! selector names the key field and either a value (a word, a quoted string or a non-negative
//! integer) or `*`, which stands for every element of the list.

use std::collections::BTreeMap;
use std::fmt;

/// A parsed location: the steps from the object's root to the field a mutator changes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Path {
    /// The steps, the first always a field of the object's root.
    pub nodes: Vec<Node>,
}

/// One step of a location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    /// A field of an object, such as `spec` or `"a.b/c"`.
    Object(String),
    /// Elements of a list, picked by one of their fields: `[name: foo]` or `[name: *]`.
    List(ListNode),
}

/// A list selector: `[key_field: key]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListNode {
    /// The field of each element that identifies it, such as `name`.
    pub key_field: String,
    /// Which elements: every one, or those whose key field has this value.
    pub key: ListKey,
}

/// The value a list selector looks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListKey {
    /// `*`: every element that exists (a glob never creates one).
    Glob,
    /// A word or quoted string: the element whose key field is this string.
    Text(String),
    /// A number: the element whose key field is this integer (not the string of its digits).
    Integer(i64),
}

impl Node {
    /// Whether this step is a list selector.
    pub fn is_list(&self) -> bool {
        matches!(self, Node::List(_))
    }
}

impl ListKey {
    /// Whether a list element's key field holds this key. A glob matches nothing here: it is
    /// handled before looking at values. As in Gatekeeper, an integer key only equals an
    /// integer and a text key only a string.
    pub fn matches(&self, value: &serde_json::Value) -> bool {
        match (self, value) {
            (ListKey::Text(text), serde_json::Value::String(found)) => text == found,
            (ListKey::Integer(integer), serde_json::Value::Number(found)) => {
                (found.is_i64() || found.is_u64()) && found.as_i64() == Some(*integer)
            }
            _ => false,
        }
    }

    /// The key as the JSON value a new element gets in its key field.
    pub fn to_value(&self) -> Option<serde_json::Value> {
        match self {
            ListKey::Glob => None,
            ListKey::Text(text) => Some(serde_json::Value::String(text.clone())),
            ListKey::Integer(integer) => Some(serde_json::Value::from(*integer)),
        }
    }
}

/// Quotes a field or key when it could not be read back as a bare word.
fn quote(text: &str) -> String {
    let bare = text
        .chars()
        .next()
        .is_some_and(|first| !first.is_ascii_digit())
        && text.chars().all(is_word_char);
    if bare {
        text.to_owned()
    } else {
        format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
    }
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Node::Object(reference) => f.write_str(&quote(reference)),
            Node::List(list) => {
                let key = match &list.key {
                    ListKey::Glob => "*".to_owned(),
                    ListKey::Text(text) => quote(text),
                    ListKey::Integer(integer) => integer.to_string(),
                };
                write!(f, "[{}: {key}]", quote(&list.key_field))
            }
        }
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, node) in self.nodes.iter().enumerate() {
            if index > 0 && !node.is_list() {
                f.write_str(".")?;
            }
            write!(f, "{node}")?;
        }
        Ok(())
    }
}

/// What the scanner found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TokenType {
    /// A character that starts no token, or a string without its closing quote.
    Error(&'static str),
    Eof,
    Ident,
    Int,
    LeftBracket,
    RightBracket,
    Separator,
    Glob,
    Colon,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Token {
    kind: TokenType,
    literal: String,
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self.kind {
            TokenType::Error(_) => "ERROR",
            TokenType::Eof => "EOF",
            TokenType::Ident => "IDENT",
            TokenType::Int => "INT",
            TokenType::LeftBracket => "LBRACKET",
            TokenType::RightBracket => "RBRACKET",
            TokenType::Separator => "SEPARATOR",
            TokenType::Glob => "GLOB",
            TokenType::Colon => "COLON",
        };
        write!(f, "{name}: {:?}", self.literal)?;
        if let TokenType::Error(reason) = self.kind {
            write!(f, " ({reason})")?;
        }
        Ok(())
    }
}

fn is_word_char(character: char) -> bool {
    character.is_ascii_alphanumeric() || character == '_' || character == '-'
}

/// Gatekeeper's scanner (`path/token/scanner.go`), one character of lookahead.
struct Scanner<'a> {
    chars: std::iter::Peekable<std::str::Chars<'a>>,
}

impl Scanner<'_> {
    fn next_token(&mut self) -> Token {
        while self
            .chars
            .next_if(|character| matches!(character, ' ' | '\t' | '\r' | '\n'))
            .is_some()
        {}
        let token = |kind, literal: String| Token { kind, literal };
        let Some(&character) = self.chars.peek() else {
            return token(TokenType::Eof, String::new());
        };
        // A digit starts an integer (`0123_x` is the integer `0123` then the word `_x`); any
        // other word character starts a word.
        if character.is_ascii_digit() {
            let mut literal = String::new();
            while let Some(digit) = self.chars.next_if(char::is_ascii_digit) {
                literal.push(digit);
            }
            return token(TokenType::Int, literal);
        }
        if is_word_char(character) {
            let mut literal = String::new();
            while let Some(word) = self.chars.next_if(|&character| is_word_char(character)) {
                literal.push(word);
            }
            return token(TokenType::Ident, literal);
        }
        self.chars.next();
        let kind = match character {
            '.' => TokenType::Separator,
            '[' => TokenType::LeftBracket,
            ']' => TokenType::RightBracket,
            '*' => TokenType::Glob,
            ':' => TokenType::Colon,
            '"' | '\'' => return self.quoted(character),
            _ => TokenType::Error("invalid character"),
        };
        token(kind, character.to_string())
    }

    /// The rest of a quoted string: a backslash keeps the next character as it is.
    fn quoted(&mut self, quote: char) -> Token {
        let mut literal = String::new();
        loop {
            match self.chars.next() {
                Some(character) if character == quote => {
                    return Token {
                        kind: TokenType::Ident,
                        literal,
                    };
                }
                Some('\\') => {
                    if let Some(escaped) = self.chars.next() {
                        literal.push(escaped);
                    }
                }
                Some(character) => literal.push(character),
                None => {
                    return Token {
                        kind: TokenType::Error("unterminated string"),
                        literal,
                    };
                }
            }
        }
    }
}

/// Gatekeeper's parser (`path/parser/parser.go`): the current token and one of lookahead.
struct Parser<'a> {
    scanner: Scanner<'a>,
    current: Token,
    peek: Token,
}

impl Parser<'_> {
    fn advance(&mut self) {
        let next = self.scanner.next_token();
        self.current = std::mem::replace(&mut self.peek, next);
    }

    /// Moves on when the next token has this type.
    fn expect(&mut self, kind: TokenType) -> bool {
        if self.peek.kind == kind {
            self.advance();
            true
        } else {
            false
        }
    }

    fn unexpected(what: String) -> String {
        format!("unexpected token: {what}")
    }

    fn parse(&mut self) -> Result<Path, String> {
        let mut nodes = Vec::new();
        while self.current.kind == TokenType::Ident {
            nodes.push(Node::Object(self.current.literal.clone()));
            if self.expect(TokenType::LeftBracket) {
                nodes.push(Node::List(self.list()?));
            }
            if self.expect(TokenType::Separator) {
                if self.peek.kind == TokenType::Eof {
                    return Err("trailing separators are forbidden".into());
                }
                self.advance();
            } else if !self.expect(TokenType::Eof) {
                return Err(Self::unexpected(format!(
                    "expected '.' or eof, got: {}",
                    self.peek
                )));
            }
        }
        if self.current.kind != TokenType::Eof {
            return Err(Self::unexpected(format!(
                "expected field name or eof, got: {}",
                self.current
            )));
        }
        Ok(Path { nodes })
    }

    /// What follows `[`: `keyField: value]` or `keyField: *]`.
    fn list(&mut self) -> Result<ListNode, String> {
        if !self.expect(TokenType::Ident) {
            return Err(Self::unexpected(format!(
                "expected keyField in listSpec, got: {}",
                self.peek
            )));
        }
        let key_field = self.current.literal.clone();
        if !self.expect(TokenType::Colon) {
            return Err(Self::unexpected(format!(
                "expected ':' following keyField {key_field}, got: {}",
                self.peek
            )));
        }
        let key = if self.expect(TokenType::Glob) {
            ListKey::Glob
        } else if self.expect(TokenType::Ident) {
            ListKey::Text(self.current.literal.clone())
        } else if self.expect(TokenType::Int) {
            // Decimal even with leading zeros (`0123` is 123). Gatekeeper only notices an
            // overflow when the result turns negative; any overflow is refused here.
            let integer = self.current.literal.parse::<i64>().map_err(|_| {
                format!(
                    "invalid integer: overflow in integer string: {}: parsing key value for \
                         key: {key_field}",
                    self.current.literal
                )
            })?;
            ListKey::Integer(integer)
        } else {
            return Err(Self::unexpected(format!(
                "expected key value or glob in listSpec, got: {}",
                self.peek
            )));
        };
        if !self.expect(TokenType::RightBracket) {
            return Err(Self::unexpected(format!(
                "expected ']' following listSpec, got: {}",
                self.peek
            )));
        }
        Ok(ListNode { key_field, key })
    }
}

impl Path {
    /// Reads a location. The empty string is the empty path (which mutators then refuse or
    /// fail on, each as Gatekeeper does).
    pub fn parse(input: &str) -> Result<Path, String> {
        let mut scanner = Scanner {
            chars: input.chars().peekable(),
        };
        let current = scanner.next_token();
        let peek = scanner.next_token();
        Parser {
            scanner,
            current,
            peek,
        }
        .parse()
    }

    /// Whether `self` is the start of `other`, step by step (list keys included).
    pub fn is_prefix_of(&self, other: &Path) -> bool {
        self.nodes.len() <= other.nodes.len()
            && self.nodes.iter().zip(&other.nodes).all(|(a, b)| a == b)
    }
}

/// A path test's condition (`spec.parameters.pathTests[].condition`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Condition {
    /// Mutate only if something exists at the sub path.
    MustExist,
    /// Mutate only if nothing exists at the sub path.
    MustNotExist,
    /// No condition given (the CRD allows leaving it out): Gatekeeper then mutates neither
    /// when something exists there nor when nothing does, so the mutator never gets past it.
    Unset,
}

/// The path tests of a mutator, by the depth (index in the location) they look at.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tester {
    tests: BTreeMap<usize, Condition>,
}

impl Tester {
    /// Checks the tests against the location as Gatekeeper's `tester.New` does: every sub path
    /// must be a prefix of the location, one depth must not be both MustExist and
    /// MustNotExist, and (Gatekeeper compares positions in the list here, not depths) no
    /// MustExist test may come after the first MustNotExist one, except at position 0.
    pub fn new(location: &Path, tests: &[(Path, Condition)]) -> Result<Tester, String> {
        for (sub_path, _) in tests {
            if !sub_path.is_prefix_of(location) {
                return Err(format!(
                    "all subpaths must be a prefix of the `location` value of the mutation: \
                     subpath {:?} is not a prefix of location {:?}",
                    sub_path.to_string(),
                    location.to_string()
                ));
            }
        }
        // Keyed by the index of the sub path's last step; an empty sub path (a prefix of every
        // location) gets no depth, and so tests nothing, as in Gatekeeper.
        let depth = |sub_path: &Path| sub_path.nodes.len().checked_sub(1);
        let mut by_depth = BTreeMap::new();
        let mut first_must_not: Option<usize> = None;
        let mut last_must = 0;
        for (index, (sub_path, condition)) in tests.iter().enumerate() {
            by_depth.insert(depth(sub_path), *condition);
            match condition {
                Condition::MustNotExist if first_must_not.is_none() => first_must_not = Some(index),
                Condition::MustExist if index > last_must => last_must = index,
                _ => {}
            }
        }
        for (sub_path, condition) in tests {
            if by_depth.get(&depth(sub_path)) != Some(condition) {
                return Err(format!(
                    "conflicting path test conditions: path {:?} is marked both MustExist and \
                     MustNotExist",
                    sub_path.to_string()
                ));
            }
        }
        if let Some(first_must_not) = first_must_not
            && last_must > first_must_not
        {
            return Err(format!(
                "conflicting path test conditions: pathTests[{last_must}] (subPath {:?}) is \
                 marked MustExist but comes after pathTests[{first_must_not}] (subPath {:?}) \
                 marked MustNotExist, which Gatekeeper refuses",
                tests[last_must].0.to_string(),
                tests[first_must_not].0.to_string()
            ));
        }
        let tests = by_depth
            .into_iter()
            .filter_map(|(depth, condition)| Some((depth?, condition)))
            .collect();
        Ok(Tester { tests })
    }

    /// A tester whose only test is that nothing exists at the whole location
    /// (AssignMetadata's: it never overwrites).
    pub fn must_not_exist(location: &Path) -> Tester {
        Tester {
            tests: BTreeMap::from([(
                location.nodes.len().saturating_sub(1),
                Condition::MustNotExist,
            )]),
        }
    }

    /// Whether the mutation may go on when something exists at this depth.
    pub fn exists_okay(&self, depth: usize) -> bool {
        self.tests
            .get(&depth)
            .is_none_or(|condition| *condition == Condition::MustExist)
    }

    /// Whether the mutation may go on when nothing exists at this depth.
    pub fn missing_okay(&self, depth: usize) -> bool {
        self.tests
            .get(&depth)
            .is_none_or(|condition| *condition == Condition::MustNotExist)
    }
}
