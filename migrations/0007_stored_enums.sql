-- Roles, statuses, plans and channels become Postgres enum types, which the Rust enums
-- of `domain` map to (sqlx::Type): a misspelt value is refused by the database too.
-- Indexes, checks and triggers that name these columns are rebuilt around the change.
CREATE TYPE member_role AS ENUM ('admin', 'employee');
CREATE TYPE membership_status AS ENUM ('invited', 'pending_approval', 'active', 'dismissed');
CREATE TYPE plan AS ENUM ('free', 'basic', 'standard', 'professional', 'crm_plus', 'project_plus');
CREATE TYPE channel AS ENUM ('email', 'sms');
CREATE TYPE invitation_status AS ENUM ('pending', 'accepted', 'cancelled');
CREATE TYPE delivery_status AS ENUM ('queued', 'sent', 'failed');

DROP TRIGGER memberships_count_department_members ON memberships;
DROP INDEX memberships_list;
DROP INDEX memberships_admins;
DROP INDEX invitations_one_pending;
DROP INDEX outbox_due;

ALTER TABLE portals DROP CONSTRAINT portals_plan_check, ALTER COLUMN plan DROP DEFAULT;
ALTER TABLE portals ALTER COLUMN plan TYPE plan USING plan::plan, ALTER COLUMN plan SET DEFAULT 'free';

ALTER TABLE memberships DROP CONSTRAINT memberships_status_check, DROP CONSTRAINT memberships_role_check;
ALTER TABLE memberships
    ALTER COLUMN status TYPE membership_status USING status::membership_status,
    ALTER COLUMN role TYPE member_role USING role::member_role;

ALTER TABLE invitations DROP CONSTRAINT invitations_channel_check, DROP CONSTRAINT invitations_status_check,
    ALTER COLUMN status DROP DEFAULT;
ALTER TABLE invitations
    ALTER COLUMN channel TYPE channel USING channel::channel,
    ALTER COLUMN status TYPE invitation_status USING status::invitation_status,
    ALTER COLUMN status SET DEFAULT 'pending';

ALTER TABLE outbox DROP CONSTRAINT outbox_channel_check, DROP CONSTRAINT outbox_status_check, ALTER COLUMN status DROP DEFAULT;
ALTER TABLE outbox
    ALTER COLUMN channel TYPE channel USING channel::channel,
    ALTER COLUMN status TYPE delivery_status USING status::delivery_status,
    ALTER COLUMN status SET DEFAULT 'queued';

CREATE INDEX memberships_list ON memberships (portal_id, status, sort_name, account_id);
CREATE INDEX memberships_admins ON memberships (portal_id, sort_name, account_id) WHERE role = 'admin' AND status = 'active';
CREATE UNIQUE INDEX invitations_one_pending ON invitations (portal_id, target) WHERE status = 'pending';
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE status = 'queued';
CREATE TRIGGER memberships_count_department_members AFTER INSERT OR UPDATE OF status, department_id OR DELETE
    ON memberships FOR EACH ROW EXECUTE FUNCTION count_department_members();
