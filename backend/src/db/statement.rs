//! Hand-written SQL that is prepared once per connection and reused.
//!
//! diesel's `sql_query` marks itself unsafe to cache, so PostgreSQL parses and plans it on
//! every call: for the set-based list queries (a dozen joins and aggregates) planning cost
//! more than running them (docs/performance.md). A [`Statement`] is the same SQL with its
//! parameters bound in a leading `params` CTE, written so that diesel may cache the prepared
//! statement by its text. The SQL refers to the parameters as `params.<name>` (join
//! `params` where they are needed); each is bound exactly once.

use diesel::QueryResult;
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{Nullable, Untyped};
use uuid::Uuid;

/// One parameter's value (the kinds the lists bind so far; add one as a query needs it).
pub enum Param {
    Uuid(Uuid),
    OptionalUuid(Option<Uuid>),
}

/// A cached hand-written statement: `WITH params AS (SELECT $1 AS a, …) <sql>`. Load it
/// into `QueryableByName` rows like `sql_query`.
pub struct Statement {
    sql: &'static str,
    params: Vec<(&'static str, Param)>,
}

impl Statement {
    /// `sql` follows the `params` CTE, so it starts with `SELECT` or `, name AS (…)`.
    pub fn new(sql: &'static str) -> Self {
        Self {
            sql,
            params: Vec::new(),
        }
    }

    /// Binds `params.<name>`.
    pub fn bind(mut self, name: &'static str, value: Param) -> Self {
        self.params.push((name, value));
        self
    }
}

impl QueryFragment<Pg> for Statement {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql("WITH params AS MATERIALIZED (SELECT ");
        for (i, (name, value)) in self.params.iter().enumerate() {
            if i > 0 {
                out.push_sql(", ");
            }
            match value {
                Param::Uuid(v) => out.push_bind_param::<diesel::sql_types::Uuid, _>(v)?,
                Param::OptionalUuid(v) => {
                    out.push_bind_param::<Nullable<diesel::sql_types::Uuid>, _>(v)?
                }
            }
            out.push_sql(" AS ");
            out.push_identifier(name)?;
        }
        out.push_sql(") ");
        out.push_sql(self.sql);
        Ok(())
    }
}

impl QueryId for Statement {
    type QueryId = ();
    // Not static: diesel keys the cached statement by its SQL text and bind types.
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl Query for Statement {
    type SqlType = Untyped;
}
