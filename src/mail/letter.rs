//! E-mails as people see them: an HTML part and its plain-text alternative, both
//! rendered from askama templates. Each feature keeps its messages' templates in its own
//! `letters/` folder; they extend the shared layout in `mail/letters/`.
//!
//! A message is a struct of its facts (with `brand`, the portal's name or whose account
//! it concerns, shown in the layout's header) and two template structs that borrow it
//! as `letter`, one per part.

use askama::Template;

/// One e-mail ready to queue.
#[derive(Debug, Clone, PartialEq)]
pub struct Email {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Declares a message's two template structs: each borrows the message's facts as
/// `letter`; the first renders the plain-text template, the second the HTML one.
/// `letter_templates!(Reset: ResetText = "auth/letters/reset.txt", ResetHtml = "auth/letters/reset.html");`
macro_rules! letter_templates {
    ($facts:ident: $text:ident = $text_path:literal, $html:ident = $html_path:literal) => {
        #[derive(askama::Template)]
        #[template(path = $text_path)]
        struct $text<'a> {
            letter: &'a $facts<'a>,
        }

        #[derive(askama::Template)]
        #[template(path = $html_path)]
        struct $html<'a> {
            letter: &'a $facts<'a>,
        }
    };
}
pub(crate) use letter_templates;

/// Renders a message's two templates. A failure here is a template bug (every value
/// is checked at compile time), reported as an internal error.
pub fn compose(subject: String, text: &impl Template, html: &impl Template) -> Result<Email, askama::Error> {
    Ok(Email { subject, text: text.render()?, html: html.render()? })
}

/// A secret as it appears in an HTML part (escaped like every value there), so that it
/// can be cut out of the stored copy too.
pub fn as_in_html(secret: &str) -> String {
    askama::filters::escape(secret, askama::filters::Html).map(|safe| safe.to_string()).unwrap_or_else(|never| match never {})
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Example<'a> {
        brand: &'a str,
        name: &'a str,
        link: &'a str,
    }

    letter_templates!(Example: ExampleText = "mail/letters/example.txt", ExampleHtml = "mail/letters/example.html");

    #[test]
    fn the_layout_frames_the_message_with_the_brand_a_button_and_the_link_written_out() {
        let (brand, name, link) = ("Acme <Ltd>", "Ann & Bob", "http://x.test/a?token=abc&x=1");
        let letter = Example { brand, name, link };
        let email = compose("Hello".into(), &ExampleText { letter: &letter }, &ExampleHtml { letter: &letter }).unwrap();
        // Plain text: nothing escaped, the link on its own, the brand in the signature.
        assert_eq!(email.text, "Hello Ann & Bob.\n\nOpen it: http://x.test/a?token=abc&x=1\n\n-- \nAcme <Ltd> on Bitrix24");
        // HTML: every value escaped, one button, and the same link written out below it.
        assert!(email.html.contains("Acme &#60;Ltd&#62;"), "{}", email.html);
        assert!(email.html.contains("Hello Ann &#38; Bob."), "{}", email.html);
        assert_eq!(email.html.matches("href=\"http://x.test/a?token=abc&#38;x=1\"").count(), 2, "{}", email.html);
        assert!(email.html.contains(">Open it</a>"));
        assert!(email.html.contains(">http://x.test/a?token=abc&#38;x=1</a>"));
        assert!(!email.html.contains('{'), "no template syntax left: {}", email.html);
    }

    #[test]
    fn secrets_are_found_in_their_escaped_form() {
        assert_eq!(as_in_html("a<b&c"), "a&#60;b&#38;c");
        assert_eq!(as_in_html("plain-Token_1"), "plain-Token_1");
    }
}
