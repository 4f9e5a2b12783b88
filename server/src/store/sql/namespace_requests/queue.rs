//! One page of the administrators' queue of namespace requests, on either backend.

use crate::store::{
    StoreError, database_error,
    dialect::{Dialect, Sql},
    namespace_requests::{QueueQuery, RequestRow, page_size},
};
use app::domain::namespace_request::NamespaceRequest;

/// One page of the queue, and the key after its last row when there are more.
pub(super) async fn page<DB: Dialect>(
    connection: &mut DB::Connection,
    query: &QueueQuery,
) -> Result<(Vec<NamespaceRequest>, Option<(i64, i64)>), StoreError> {
    // The page's ids first, then their rows: the row projection (groups as JSON) runs
    // for the page only, not for every request that matches before the sort.
    let mut sql = Sql::<DB>::new(DB::REQUEST_SELECT);
    sql.push(" WHERE r.id IN (SELECT r.id FROM namespace_requests r WHERE 1 = 1");
    if let Some(status) = query.status {
        sql.push(" AND r.status = ").push_bind(status.as_str());
    }
    if let Some(group) = &query.group {
        sql.push(
            " AND EXISTS (SELECT 1 FROM namespace_request_groups g \
             WHERE g.request_id = r.id AND g.group_name = ",
        )
        .push_bind(group)
        .push(")");
    }
    if let Some(name) = &query.name {
        sql.push(format_args!(" AND {}(r.name, ", DB::POSITION))
            .push_bind(name)
            .push(") > 0");
    }
    if query.status.is_some() {
        // One status, one rank: page by id alone, which the (status, id) index serves.
        if let Some((_, id)) = query.after {
            sql.push(" AND r.id > ").push_bind(id);
        }
        sql.push(" ORDER BY r.id");
    } else {
        // Ranks are 0 (pending) and 1: spelled out, each branch is a plain range on the
        // (queue_rank, id) index, which a row-value comparison is not for every planner.
        match query.after {
            Some((0, id)) => {
                sql.push(" AND ((r.queue_rank = 0 AND r.id > ")
                    .push_bind(id)
                    .push(") OR r.queue_rank = 1)");
            }
            Some((_, id)) => {
                sql.push(" AND r.queue_rank = 1 AND r.id > ").push_bind(id);
            }
            None => {}
        }
        sql.push(" ORDER BY r.queue_rank, r.id");
    }
    let size = page_size(query.limit);
    sql.push(" LIMIT ").push_bind(size + 1).push(")");
    sql.push(if query.status.is_some() {
        " ORDER BY r.id"
    } else {
        " ORDER BY r.queue_rank, r.id"
    });
    let mut rows: Vec<RequestRow> = sql.fetch_all(connection).await.map_err(database_error)?;
    let next = if rows.len() as i64 > size {
        rows.truncate(size as usize);
        rows.last().map(|row| (row.queue_rank, row.id))
    } else {
        None
    };
    let requests = rows
        .into_iter()
        .map(RequestRow::into_request)
        .collect::<Result<_, _>>()?;
    Ok((requests, next))
}
