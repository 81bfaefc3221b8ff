//! Running a scheduled job now, at an administrator's request.

/// An administrator's "run now": queues a run of `name` for the next free worker and
/// records who asked. `None` when no job has that name.
pub async fn request_run(
    state: &crate::state::AppState,
    actor: &crate::auth::AuthUser,
    name: &str,
) -> anyhow::Result<Option<i64>> {
    if state.jobs.registry().find(name).is_none() {
        return Ok(None);
    }
    let id = state.jobs.enqueue_now(name).await?;
    let mut conn = state.pool.get().await?;
    crate::audit::record(
        &mut conn,
        &actor.actor(),
        crate::audit::Entry::new("job.run_requested", "job_run", id)
            .with_details(serde_json::json!({"job": name})),
    )
    .await?;
    Ok(Some(id))
}
