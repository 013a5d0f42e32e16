-- A person's active membership of a portal, as a portal request sees it: what every
-- server function of a portal starts from (who calls, with which role), read in one place.
-- The session lookup joins it, so a portal request reads its session and the caller's
-- membership in one statement; the administrators' re-check under the portal's lock reads
-- it too. Postgres inlines a view into the query that uses it: no cost of its own.
--
-- admin_needs_two_factor: an administrator of a portal that requires two-factor log-in
-- for administrators, who has not turned it on; such a person acts as an employee.
CREATE VIEW portal_seats AS
SELECT m.account_id, m.portal_id, p.slug, m.role, p.name AS portal_name, p.plan, p.everyone_can_invite,
       p.admins_need_two_factor AND m.role = 'admin'
         AND NOT EXISTS (SELECT 1 FROM two_factor t WHERE t.account_id = m.account_id AND t.enabled_at IS NOT NULL)
         AS admin_needs_two_factor
FROM memberships m JOIN portals p ON p.id = m.portal_id
WHERE m.status = 'active';
