//! The page frame and the stylesheet.

use maud::{DOCTYPE, Markup, html};

pub const CSS: &str = include_str!("app.css");

/// A complete page. `user` shows the signed-in e-mail and a sign-out button.
pub fn page(title: &str, user: Option<&str>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · adsync" }
                link rel="icon" type="image/svg+xml" href="/favicon.svg";
                link rel="stylesheet" href="/assets/app.css";
                script src="/assets/confirm.js" defer {}
            }
            body {
                header.top {
                    a.brand href="/teams" { "adsync" }
                    @if let Some(email) = user {
                        nav {
                            a.who href="/account" title="Your account" { (email) }
                            form method="post" action="/logout" { button.link type="submit" { "Sign out" } }
                        }
                    }
                }
                main { (body) }
            }
        }
    }
}

/// A notice box; `kind` is `info`, `ok` or `error`.
pub fn notice(kind: &str, text: &str) -> Markup {
    html! { p class={ "notice " (kind) } role=(if kind == "error" { "alert" } else { "status" }) { (text) } }
}
