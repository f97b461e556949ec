//! The team's members page: everyone in the team sees who is in it; the owner invites people
//! by e-mail link (single-use, expiring), withdraws invitations, removes members and hands
//! ownership to another member.

use adsync_common::ids::{Email, Role, TeamId, UserId};
use adsync_storage::{invites, teams};
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::PageTeam;
use super::invites::invite_link;
use super::layout::{notice, page};
use crate::{ApiError, AppState};

/// How long an invitation link works.
pub const INVITE_DAYS: i64 = 7;

pub fn members_page(team: TeamId) -> String {
    format!("/teams/{team}/members")
}

#[derive(Deserialize, Default)]
pub(super) struct Flash {
    done: Option<String>,
}

pub(super) async fn show(
    State(state): State<AppState>,
    team: PageTeam,
    Query(flash): Query<Flash>,
) -> Result<Response, ApiError> {
    let said = flash.done.as_deref().and_then(|d| match d {
        "removed" => Some(notice("ok", "Removed from the team.")),
        "owner" => Some(notice(
            "ok",
            "Ownership handed over: you are now a member of this team.",
        )),
        "revoked" => Some(notice("ok", "Invitation withdrawn: its link no longer works.")),
        _ => None,
    });
    render(&state, &team, said).await
}

async fn render(state: &AppState, team: &PageTeam, said: Option<Markup>) -> Result<Response, ApiError> {
    let t = team.member.team;
    let owner = team.member.role == Role::Owner;
    let members = teams::members(&state.db, t).await?;
    let pending = if owner {
        invites::pending(&state.db, t).await?
    } else {
        Vec::new()
    };
    let body = html! {
        h1 { (team.name) ": members" }
        @if let Some(n) = said { (n) }
        table.members {
            thead { tr { th scope="col" { "E-mail" } th scope="col" { "Role" } @if owner { th scope="col" { "" } } } }
            tbody {
                @for m in &members {
                    tr data-email=(m.email) {
                        td { (m.email) @if m.user_id == team.member.user { " (you)" } }
                        td.role { (m.role) }
                        @if owner {
                            td { @if m.user_id != team.member.user { (member_actions(t, m)) } }
                        }
                    }
                }
            }
        }
        @if owner {
            section.card #invite aria-labelledby="invite-title" {
                h2 id="invite-title" { "Invite someone" }
                form.invite method="post" action={ "/teams/" (t) "/members/invite" } {
                    label for="invite_email" { "E-mail" }
                    input id="invite_email" name="email" type="email" required autocomplete="off";
                    label for="invite_role" { "Role" }
                    select id="invite_role" name="role" {
                        option value="member" selected { "member (sees the dashboards)" }
                        option value="owner" { "owner (also manages connectors and members)" }
                    }
                    button type="submit" { "Send invitation" }
                }
                p.hint {
                    "The link works once, for " (INVITE_DAYS) " days. "
                    @if state.mailer.is_some() { "It is e-mailed to the address." }
                    @else { "adsync sends no e-mail here (no SMTP server is configured): the page shows the link for you to pass on." }
                }
                @if !pending.is_empty() {
                    h3 { "Waiting for an answer" }
                    table.invites {
                        thead { tr { th scope="col" { "E-mail" } th scope="col" { "Role" } th scope="col" { "Link works until" } th scope="col" { "" } } }
                        tbody {
                            @for i in &pending {
                                tr data-email=(i.email) {
                                    td { (i.email) } td { (i.role) }
                                    td { (i.expires_at.format("%Y-%m-%d %H:%M UTC")) }
                                    td {
                                        form method="post" action={ "/teams/" (t) "/invites/" (i.id) "/revoke" } {
                                            button.link type="submit" { "Withdraw" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        } @else {
            p.hint {
                "The team's owner ("
                (members.iter().filter(|m| m.role == Role::Owner).map(|m| m.email.as_str()).collect::<Vec<_>>().join(", "))
                ") invites and removes members."
            }
        }
    };
    Ok(Html(page("Members", Some(&team.email), body).into_string()).into_response())
}

fn member_actions(team: TeamId, m: &teams::Member) -> Markup {
    html! {
        @if m.role == Role::Member {
            form.inline method="post" action={ "/teams/" (team) "/members/" (m.user_id) "/make-owner" }
                data-confirm={ "Make " (m.email) " the owner? You become a member: you keep the dashboards but no longer manage connectors or members." } {
                button.link type="submit" { "Make owner" }
            }
        }
        form.inline method="post" action={ "/teams/" (team) "/members/" (m.user_id) "/remove" }
            data-confirm={ "Remove " (m.email) " from the team? They lose access to its dashboards at once." } {
            button.link type="submit" { "Remove" }
        }
    }
}

#[derive(Deserialize)]
pub(super) struct InviteForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
}

/// Creates the invitation and e-mails its link, or shows it when no SMTP server is set up
/// (or the server did not take the message). The answer is the page itself, not a redirect:
/// the link is shown once and never stored.
pub(super) async fn invite(
    State(state): State<AppState>,
    team: PageTeam,
    Form(f): Form<InviteForm>,
) -> Result<Response, ApiError> {
    team.require_owner("manages its members")?;
    let email = Email::parse(&f.email).map_err(|e| ApiError::BadRequest(format!("email: {e}")))?;
    let role: Role = f
        .role
        .parse()
        .map_err(|e: String| ApiError::BadRequest(format!("role: {e}")))?;
    if let Some(user) = adsync_storage::users::find_by_email(&state.db, &email).await?
        && teams::role_of(&state.db, team.member.team, user.id).await?.is_some()
    {
        return Err(ApiError::Conflict(format!("{email} is already in the team.")));
    }
    let secret = invites::create(
        &state.db,
        team.member.team,
        &email,
        role,
        team.member.user,
        chrono::Duration::days(INVITE_DAYS),
    )
    .await?;
    let link = invite_link(&state.config.public_url, &secret);
    let said = match &state.mailer {
        Some(mailer) => {
            let body = format!(
                "{inviter} invites you to the team \"{name}\" on adsync, as {role}.\n\n\
                 Open this link to join (it works once, for {INVITE_DAYS} days):\n\n{link}\n\n\
                 If you did not expect this, ignore this message.\n",
                inviter = team.email,
                name = team.name,
            );
            match mailer
                .send(email.as_str(), &format!("Join {} on adsync", team.name), body)
                .await
            {
                Ok(()) => notice("ok", &format!("Invitation sent to {email}.")),
                Err(e) => {
                    tracing::warn!(error = %e, "could not e-mail an invitation");
                    link_notice(&email, &link, Some(&e.to_string()))
                }
            }
        }
        None => link_notice(&email, &link, None),
    };
    render(&state, &team, Some(said)).await
}

/// The link for the owner to pass on (when it could not be e-mailed).
fn link_notice(email: &Email, link: &str, failure: Option<&str>) -> Markup {
    html! {
        div.notice.ok role="status" {
            @if let Some(f) = failure { p { "The e-mail could not be sent: " (f) "." } }
            p { "Send " (email.as_str()) " this link to join (it works once):" }
            p { code.invite-link { (link) } }
        }
    }
}

pub(super) async fn remove(
    State(state): State<AppState>,
    team: PageTeam,
    Path((_, user)): Path<(i64, i64)>,
) -> Result<Response, ApiError> {
    team.require_owner("manages its members")?;
    if UserId(user) == team.member.user {
        return Err(ApiError::Conflict(
            "Owners do not remove themselves: make another member the owner first, then ask them.".into(),
        ));
    }
    teams::remove_member(&state.db, team.member.team, UserId(user), Some(team.member.user))
        .await
        .map_err(not_in_team)?;
    Ok(Redirect::to(&format!("{}?done=removed", members_page(team.member.team))).into_response())
}

pub(super) async fn make_owner(
    State(state): State<AppState>,
    team: PageTeam,
    Path((_, user)): Path<(i64, i64)>,
) -> Result<Response, ApiError> {
    team.require_owner("manages its members")?;
    teams::transfer_ownership(&state.db, team.member.team, team.member.user, UserId(user))
        .await
        .map_err(not_in_team)?;
    Ok(Redirect::to(&format!("{}?done=owner", members_page(team.member.team))).into_response())
}

pub(super) async fn revoke(
    State(state): State<AppState>,
    team: PageTeam,
    Path((_, invite)): Path<(i64, i64)>,
) -> Result<Response, ApiError> {
    team.require_owner("manages its members")?;
    invites::revoke(&state.db, team.member.team, invite)
        .await
        .map_err(|e| match e {
            adsync_storage::StorageError::NotFound => {
                ApiError::NotFound("No such invitation waiting in this team.".into())
            }
            e => e.into(),
        })?;
    Ok(Redirect::to(&format!("{}?done=revoked", members_page(team.member.team))).into_response())
}

fn not_in_team(e: adsync_storage::StorageError) -> ApiError {
    match e {
        adsync_storage::StorageError::NotFound => ApiError::NotFound("No such member in this team.".into()),
        e => e.into(),
    }
}
