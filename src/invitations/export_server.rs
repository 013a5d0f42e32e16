//! The invitation funnel's CSV downloads. A plain GET address rather than a server
//! function: the link works before the page's script has loaded, and the browser saves
//! the answer as a file.

use axum::extract::{Path, Query, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::funnel::FunnelGrouping;
use super::service::funnel::{counts_csv, rows_csv};
use crate::access::caller_of_request;
use crate::error::AppError;
use crate::server::AppState;

#[derive(Debug, Deserialize)]
pub struct ExportQuery {
    #[serde(default)]
    by: String,
}

/// GET /p/{slug}/employees/invited/funnel.csv?by=…: whom the Funnel page shows, the same
/// rows and sums, as a file.
pub async fn funnel_csv(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    Query(query): Query<ExportQuery>,
    request: Parts,
) -> Response {
    let answer = async {
        let caller = caller_of_request(&state, &request, &slug).await?;
        if query.by == "invitation" {
            Ok::<_, AppError>(("invitations.csv".to_string(), rows_csv(&state.pool, &caller).await?))
        } else {
            let grouping = FunnelGrouping::from_key(&query.by);
            Ok((format!("invitation-funnel-{}.csv", grouping.key()), counts_csv(&state.pool, &caller, grouping).await?))
        }
    }
    .await;
    match answer {
        Ok((name, text)) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
                (header::CACHE_CONTROL, "no-store".to_string()),
            ],
            text,
        )
            .into_response(),
        Err(error) => {
            let status = StatusCode::from_u16(error.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            (status, error.to_string()).into_response()
        }
    }
}
