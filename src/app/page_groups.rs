//! The pages in groups whose code the browser downloads when it first shows one of them
//! (Leptos's `#[lazy]` with cargo-leptos's split build, `--split`). A first visit fetches
//! the WASM every page needs (the reactive system, the router, the shell) and the part
//! of its group, not every page of the app: someone logging in or following an invitation
//! does not download the portal's pages.
//!
//! Why three groups rather than a part per page, or a group for the administrators'
//! pages: the splitter gives every set of parts that share code a file of its own, each
//! compressed alone, and code in a part cannot be optimized with the code it calls in
//! another. A part per page made 486 files, and the Employees page downloaded 744 KB
//! (brotli) instead of 552 KB unsplit; a separate group for Settings, the bulk invitation
//! and Manage Email Accounts made every portal page 585 KB instead of 564 KB. So the
//! portal's pages load as one group (scripts/bench wasm prints the figures).
//!
//! The server renders these pages as any other and names the files a page's group needs
//! in its head, so the browser fetches them beside the main WASM; it hydrates once they
//! have arrived (`hydrate_lazy` in lib.rs).

use leptos::prelude::*;
use leptos_router::LazyRoute;

use crate::activity::ui::{ActivityStreamPage, ChatPage};
use crate::auth::ui::{ConfirmEmailPage, ForgotPasswordPage, LoginCodePage, LoginPage, PortalChooserPage, ResetPasswordPage};
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

use super::settings::SettingsPage;

/// One group: an enum naming its pages, the lazily loaded function that draws one of them,
/// and a route type per page for the route table (`Lazy::<LoginRoute>::new()`).
/// `$preload` is the name `#[lazy]` gives the function that only fetches the group's code
/// (`__preload_` and the function's name), which the router calls so that a portal page
/// and its layout load at once rather than one after the other.
macro_rules! page_group {
    ($group:ident, $preload:ident, $pages:ident { $($route:ident => $page:ident),+ $(,)? }) => {
        // The variants are named after the route types, which all end in "Route".
        #[allow(clippy::enum_variant_names)]
        #[derive(Clone, Copy)]
        enum $pages {
            $($route),+
        }

        #[lazy]
        fn $group(page: $pages) -> AnyView {
            match page {
                $($pages::$route => view! { <$page /> }.into_any()),+
            }
        }

        $(
            pub struct $route;

            impl LazyRoute for $route {
                fn data() -> Self {
                    $route
                }

                async fn view(_route: Self) -> AnyView {
                    $group($pages::$route).await
                }

                async fn preload() {
                    #[cfg(feature = "hydrate")]
                    $preload().await;
                }
            }
        )+
    };
}

// Logging in, on any portal or the network: the pages most visits start with.
page_group!(sign_in_pages, __preload_sign_in_pages, SignInPages {
    LoginRoute => LoginPage,
    LoginCodeRoute => LoginCodePage,
    PortalChooserRoute => PortalChooserPage,
    ForgotPasswordRoute => ForgotPasswordPage,
    ResetPasswordRoute => ResetPasswordPage,
    ConfirmEmailRoute => ConfirmEmailPage,
});

// Joining: a new portal, an invitation, a registration link; and the network account's
// own pages and the development outbox, which are visited rarely.
page_group!(joining_pages, __preload_joining_pages, JoiningPages {
    SignUpRoute => SignUpPage,
    InvitationLinkRoute => InvitationLinkPage,
    CompleteRegistrationRoute => CompleteRegistrationPage,
    RegistrationLinkRoute => RegistrationLinkPage,
    ConfirmRegistrationRoute => ConfirmRegistrationPage,
    NetworkProfileRoute => NetworkProfilePage,
    ConfirmLoginRoute => ConfirmLoginPage,
    OutboxRoute => OutboxPage,
});

// Inside a portal: its frame and all its pages, the administrators' included.
page_group!(portal_pages, __preload_portal_pages, PortalPages {
    PortalLayoutRoute => PortalLayout,
    ActivityStreamRoute => ActivityStreamPage,
    ChatRoute => ChatPage,
    EmployeesRoute => EmployeesPage,
    PersonRoute => PersonPage,
    ProfileEditorRoute => ProfileEditorPage,
    WorkgroupsRoute => WorkgroupsPage,
    WorkgroupRoute => WorkgroupPage,
    StructureRoute => StructurePage,
    WebmailRoute => WebmailPage,
    SettingsRoute => SettingsPage,
    BulkInviteRoute => BulkInvitePage,
    ManageEmailAccountsRoute => ManageEmailAccountsPage,
});
