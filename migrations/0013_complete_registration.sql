-- Register with "Without confirmation" off mails a link to a "Complete your registration"
-- page, where the person chooses their first password: a purpose of its own, so that page
-- and the password-reset page never take each other's links.
ALTER TABLE account_tokens DROP CONSTRAINT account_tokens_purpose_check;
ALTER TABLE account_tokens ADD CONSTRAINT account_tokens_purpose_check
    CHECK (purpose IN ('password_reset', 'login_change', 'email_confirm', 'complete_registration'));
