//! Composition root, both sides: the HTML shell, the route table, and the pages that put
//! several features together. Nothing imports this module.
//! May depend on: every module.

mod settings;

use leptos::prelude::*;
use leptos_meta::{HashedStylesheet, MetaTags, Title, provide_meta_context};
use leptos_router::{
    components::{ParentRoute, Route, Router, Routes},
    path,
};

use crate::activity::ui::{ActivityStreamPage, ChatPage};
use crate::auth::ui::{ConfirmEmailPage, ForgotPasswordPage, LoginCodePage, LoginPage, PortalChooserPage, ResetPasswordPage};
use crate::components::PlainPage;
use crate::invitations::bulk_ui::BulkInvitePage;
use crate::invitations::ui::{CompleteRegistrationPage, InvitationLinkPage};
use crate::mail::ui::OutboxPage;
use crate::network::ui::{ConfirmLoginPage, NetworkProfilePage};
use crate::people::ui::{EmployeesPage, PersonPage};
use crate::portals::ui::{PortalLayout, SignUpPage};
use crate::profile::ui::ProfileEditorPage;
use crate::registration::ui::{ConfirmRegistrationPage, RegistrationLinkPage};
use crate::structure::ui::StructurePage;
use crate::webmail::ui::{ManageEmailAccountsPage, WebmailPage};
use crate::workgroups::ui::{WorkgroupPage, WorkgroupsPage};
use settings::SettingsPage;

pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    crate::server::page_policy::send_page_policy();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <AutoReload options=options.clone() />
                // Named under the files' version (server::assets), as the scripts are.
                <HashedStylesheet options=options.clone() id="leptos" />
                <HydrationScripts options />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Lets tests (and people on slow links) know the page is interactive.
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
    view! {
        <Title text="Bitrix24 intranet" />
        <Router>
            <Routes fallback=NotFound>
                <Route path=path!("/") view=SignUpPage />
                <Route path=path!("/login") view=LoginPage />
                <Route path=path!("/login/code") view=LoginCodePage />
                <Route path=path!("/portals") view=PortalChooserPage />
                <Route path=path!("/forgot-password") view=ForgotPasswordPage />
                <Route path=path!("/reset-password") view=ResetPasswordPage />
                <Route path=path!("/confirm-email") view=ConfirmEmailPage />
                <Route path=path!("/network/profile") view=NetworkProfilePage />
                <Route path=path!("/network/confirm-login") view=ConfirmLoginPage />
                <Route path=path!("/dev/outbox") view=OutboxPage />
                <Route path=path!("/invite") view=InvitationLinkPage />
                <Route path=path!("/complete-registration") view=CompleteRegistrationPage />
                <Route path=path!("/join/:code") view=RegistrationLinkPage />
                <Route path=path!("/register/confirm") view=ConfirmRegistrationPage />
                <ParentRoute path=path!("/p/:slug") view=PortalLayout>
                    <Route path=path!("") view=ActivityStreamPage />
                    <Route path=path!("chat") view=ChatPage />
                    <Route path=path!("employees") view=EmployeesPage />
                    <Route path=path!("employees/invite-list") view=BulkInvitePage />
                    <Route path=path!("people/:id") view=PersonPage />
                    <Route path=path!("people/:id/edit") view=ProfileEditorPage />
                    <Route path=path!("structure") view=StructurePage />
                    <Route path=path!("workgroups") view=WorkgroupsPage />
                    <Route path=path!("workgroups/:id") view=WorkgroupPage />
                    <Route path=path!("mail") view=WebmailPage />
                    <Route path=path!("mail/accounts") view=ManageEmailAccountsPage />
                    <Route path=path!("settings") view=SettingsPage />
                </ParentRoute>
            </Routes>
        </Router>
    }
}

#[component]
fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    view! {
        <PlainPage>
            <h1>"Page not found"</h1>
            <p>"There is nothing at this address. " <a href="/">"Go to the front page"</a></p>
        </PlainPage>
    }
}
