//! What the two backends spell differently, and the statement type every shared query is built
//! with.
//!
//! Every store's SQL is written once, generic over a [`Dialect`] (implemented for
//! [`sqlx::Sqlite`] in `sqlite.rs` and for [`sqlx::Postgres`] in `postgres.rs`), which carries
//! only what really differs: the clock, how a write transaction starts, how a unique violation is
//! recognised, conditional counts, JSON aggregation, substring search, row counts and the
//! provisioning claim.
//!
//! Generic sqlx code needs bounds such as `for<'c> &'c mut DB::Connection: Executor<'c>` or
//! `i64: Encode<'q, DB>`. Rust does not carry bounds on other types from a trait to its users
//! (every user would have to repeat them), so they are spelled once, in the blanket impls of
//! [`Driver`] and [`Reads`], which hand out what the bounds allow as methods. Those traits are
//! supertraits of [`Dialect`], so `DB: Dialect` is the only bound shared queries need.

use super::audit::AuditRow;
use super::namespace_requests::RequestRow;
use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use sqlx::{Arguments, Database, Encode, Executor, FromRow, IntoArguments, Type};
use std::{fmt, marker::PhantomData};

/// A value bound to a statement. The shared queries bind only these types, so [`Driver`]'s
/// bounds name only these.
#[derive(Debug, Clone)]
pub(crate) enum Param {
    Int(i64),
    Text(String),
    Bool(bool),
    Time(DateTime<Utc>),
}

impl From<i64> for Param {
    fn from(value: i64) -> Self {
        Self::Int(value)
    }
}

impl From<String> for Param {
    fn from(value: String) -> Self {
        Self::Text(value)
    }
}

impl From<&str> for Param {
    fn from(value: &str) -> Self {
        Self::Text(value.to_owned())
    }
}

impl From<&String> for Param {
    fn from(value: &String) -> Self {
        Self::Text(value.clone())
    }
}

impl From<bool> for Param {
    fn from(value: bool) -> Self {
        Self::Bool(value)
    }
}

impl From<DateTime<Utc>> for Param {
    fn from(value: DateTime<Utc>) -> Self {
        Self::Time(value)
    }
}

/// A statement for backend `DB` and its values. Placeholders are `$N` on both backends (SQLite
/// reads them too): write them in the text and [`bind`](Self::bind) the values in order, or
/// build the text up with [`push`](Self::push) and [`push_bind`](Self::push_bind), which writes
/// the next placeholder itself.
pub(crate) struct Sql<DB> {
    text: String,
    params: Vec<Param>,
    /// The time [`Dialect::push_now`] binds where the backend does not read its own clock, taken
    /// once so every mention of "now" in one statement is the same instant.
    now: DateTime<Utc>,
    backend: PhantomData<fn() -> DB>,
}

impl<DB: Dialect> Sql<DB> {
    pub fn new(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            params: Vec::new(),
            now: Utc::now(),
            backend: PhantomData,
        }
    }

    /// Appends SQL text.
    pub fn push(&mut self, text: impl fmt::Display) -> &mut Self {
        use std::fmt::Write;
        let _ = write!(self.text, "{text}");
        self
    }

    /// Binds the value of the next placeholder written in the text.
    pub fn bind(mut self, value: impl Into<Param>) -> Self {
        self.params.push(value.into());
        self
    }

    /// Appends the next placeholder and binds `value` to it.
    pub fn push_bind(&mut self, value: impl Into<Param>) -> &mut Self {
        self.params.push(value.into());
        let index = self.params.len();
        self.push(format_args!("${index}"))
    }

    /// Appends the current time as a value (see [`Dialect::push_now`]).
    pub fn push_now(&mut self) -> &mut Self {
        DB::push_now(self);
        self
    }

    /// The instant this statement stands for "now" where the backend binds the time.
    pub fn now(&self) -> DateTime<Utc> {
        self.now
    }

    /// Runs the statement; returns how many rows it changed.
    pub async fn execute(self, connection: &mut DB::Connection) -> Result<u64, sqlx::Error> {
        let result = DB::execute(connection, self).await?;
        Ok(DB::rows_affected(&result))
    }

    /// Every row the statement returns.
    pub async fn fetch_all<R>(self, connection: &mut DB::Connection) -> Result<Vec<R>, sqlx::Error>
    where
        DB: Reads<R>,
    {
        DB::fetch_all(connection, self)
            .await?
            .iter()
            .map(<DB as Reads<R>>::read)
            .collect()
    }

    /// The first row, if there is one.
    pub async fn fetch_optional<R>(
        self,
        connection: &mut DB::Connection,
    ) -> Result<Option<R>, sqlx::Error>
    where
        DB: Reads<R>,
    {
        DB::fetch_optional(connection, self)
            .await?
            .as_ref()
            .map(<DB as Reads<R>>::read)
            .transpose()
    }

    /// The only row; an error when there is none.
    pub async fn fetch_one<R>(self, connection: &mut DB::Connection) -> Result<R, sqlx::Error>
    where
        DB: Reads<R>,
    {
        self.fetch_optional(connection)
            .await?
            .ok_or(sqlx::Error::RowNotFound)
    }

    /// The first column of the only row; an error when there is none.
    pub async fn fetch_scalar<T>(self, connection: &mut DB::Connection) -> Result<T, sqlx::Error>
    where
        DB: Reads<(T,)>,
    {
        self.fetch_one(connection).await.map(|(value,)| value)
    }

    /// The first column of the first row, if there is one.
    pub async fn fetch_optional_scalar<T>(
        self,
        connection: &mut DB::Connection,
    ) -> Result<Option<T>, sqlx::Error>
    where
        DB: Reads<(T,)>,
    {
        Ok(self.fetch_optional(connection).await?.map(|(value,)| value))
    }
}

/// Running a [`Sql`] on a connection of the backend. Implemented (only) by the blanket impl below
/// for every sqlx backend that can bind each [`Param`] type.
pub(crate) trait Driver: Database {
    fn execute<'c>(
        connection: &'c mut Self::Connection,
        sql: Sql<Self>,
    ) -> BoxFuture<'c, Result<Self::QueryResult, sqlx::Error>>;
    fn fetch_all<'c>(
        connection: &'c mut Self::Connection,
        sql: Sql<Self>,
    ) -> BoxFuture<'c, Result<Vec<Self::Row>, sqlx::Error>>;
    fn fetch_optional<'c>(
        connection: &'c mut Self::Connection,
        sql: Sql<Self>,
    ) -> BoxFuture<'c, Result<Option<Self::Row>, sqlx::Error>>;
}

/// The statement's text and its values as the backend's arguments.
macro_rules! arguments {
    ($sql:expr) => {{
        let Sql { text, params, .. } = $sql;
        let mut arguments = DB::Arguments::default();
        for param in params {
            match param {
                Param::Int(value) => arguments.add(value),
                Param::Text(value) => arguments.add(value),
                Param::Bool(value) => arguments.add(value),
                Param::Time(value) => arguments.add(value),
            }
            .map_err(sqlx::Error::Encode)?;
        }
        (text, arguments)
    }};
}

impl<DB> Driver for DB
where
    DB: Database,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
    for<'q> String: Encode<'q, DB> + Type<DB>,
    for<'q> bool: Encode<'q, DB> + Type<DB>,
    for<'q> DateTime<Utc>: Encode<'q, DB> + Type<DB>,
{
    fn execute<'c>(
        connection: &'c mut DB::Connection,
        sql: Sql<DB>,
    ) -> BoxFuture<'c, Result<DB::QueryResult, sqlx::Error>> {
        Box::pin(async move {
            let (text, arguments) = arguments!(sql);
            sqlx::query_with(&text, arguments).execute(connection).await
        })
    }

    fn fetch_all<'c>(
        connection: &'c mut DB::Connection,
        sql: Sql<DB>,
    ) -> BoxFuture<'c, Result<Vec<DB::Row>, sqlx::Error>> {
        Box::pin(async move {
            let (text, arguments) = arguments!(sql);
            sqlx::query_with(&text, arguments)
                .fetch_all(connection)
                .await
        })
    }

    fn fetch_optional<'c>(
        connection: &'c mut DB::Connection,
        sql: Sql<DB>,
    ) -> BoxFuture<'c, Result<Option<DB::Row>, sqlx::Error>> {
        Box::pin(async move {
            let (text, arguments) = arguments!(sql);
            sqlx::query_with(&text, arguments)
                .fetch_optional(connection)
                .await
        })
    }
}

/// Reading an `R` from a row of the backend. Implemented (only) by the blanket impl below for
/// every row type sqlx can decode from the backend's rows.
pub(crate) trait Reads<R>: Database {
    fn read(row: &Self::Row) -> Result<R, sqlx::Error>;
}

impl<DB: Database, R> Reads<R> for DB
where
    R: for<'r> FromRow<'r, DB::Row>,
{
    fn read(row: &DB::Row) -> Result<R, sqlx::Error> {
        R::from_row(row)
    }
}

/// A unique constraint a store turns into its own error.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Unique {
    /// Its name, by which PostgreSQL reports it.
    pub name: &'static str,
    /// What SQLite's message names instead (`UNIQUE constraint failed: table.column`), which
    /// reports no constraint names; `None` when it is its table's only unique constraint, so the
    /// kind of the violation alone identifies it.
    pub sqlite_columns: Option<&'static str>,
}

/// What each backend spells its own way, for the queries written once over both.
///
/// The supertraits are every row shape the shared queries read: a new shape is added here, and
/// both backends are checked to decode it where they implement this trait.
pub(crate) trait Dialect:
    Driver
    + Reads<AuditRow>
    + Reads<RequestRow>
    + Reads<(i64,)>
    + Reads<(bool,)>
    + Reads<(String,)>
    + Reads<(String, i64)>
    + Reads<(String, i64, i64)>
    + Reads<(String, DateTime<Utc>)>
    + Reads<(String, i64, DateTime<Utc>, DateTime<Utc>)>
    + Reads<(Option<DateTime<Utc>>,)>
{
    /// The statement that starts a transaction which writes (and must not lose a race between
    /// its reads and its writes).
    const BEGIN_WRITE: &'static str;
    /// The projection a [`RequestRow`] is read from (groups aggregated as JSON text), ending in
    /// `FROM namespace_requests r`.
    const REQUEST_SELECT: &'static str;
    /// The function that gives the position of its second argument in its first (0: absent).
    const POSITION: &'static str;

    /// Appends the current time as a value.
    fn push_now(sql: &mut Sql<Self>);
    /// Appends a condition that `column` starts with `prefix`.
    fn push_starts_with(sql: &mut Sql<Self>, column: &str, prefix: &str);
    /// Appends `json` (JSON text) as a value of a JSON column.
    fn push_json(sql: &mut Sql<Self>, json: String);
    /// An aggregate that counts the rows of a group for which `condition` holds.
    fn count_where(condition: &str) -> String;
    /// How many rows a statement changed.
    fn rows_affected(result: &Self::QueryResult) -> u64;
    /// Whether `error` is a violation of `unique`.
    fn violates(error: &dyn sqlx::error::DatabaseError, unique: Unique) -> bool;
    /// In a [`BEGIN_WRITE`](Self::BEGIN_WRITE) transaction: makes the other creations of
    /// `requester`'s namespace requests wait for this transaction, so two at once cannot both
    /// pass the per-requester limit.
    fn lock_requester<'c>(
        tx: &'c mut Self::Connection,
        requester: &'c str,
    ) -> BoxFuture<'c, Result<(), sqlx::Error>>;
    /// In a [`BEGIN_WRITE`](Self::BEGIN_WRITE) transaction: claims the oldest request that
    /// needs provisioning for `worker` until `now_ms + lease_ms` (see
    /// `NamespaceRequestStore::claim_namespace_request`), setting its status, `updated_at` and
    /// claim.
    fn claim_next<'c>(
        tx: &'c mut Self::Connection,
        worker: &'c str,
        now_ms: i64,
        lease_ms: i64,
    ) -> BoxFuture<'c, Result<Option<Claimed>, sqlx::Error>>;
}

/// A request [`Dialect::claim_next`] claimed: its id, and the status and claimant it had before.
pub(crate) type Claimed = (i64, String, Option<String>);
