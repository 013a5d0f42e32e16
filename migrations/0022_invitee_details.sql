-- Bulk invitation from a list: the invitee's name and position as the list gave them.
-- The name fills in the registration form the invitation link opens; the position is
-- the new employee's on acceptance (the department already travels with the invitation).
ALTER TABLE invitations
    ADD COLUMN first_name text NOT NULL DEFAULT '',
    ADD COLUMN last_name  text NOT NULL DEFAULT '',
    ADD COLUMN position   text NOT NULL DEFAULT '';
