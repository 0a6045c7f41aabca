-- A sign-in link remembers the token that made it (services/team.ts): it works only while that
-- token may still manage the team. Before, a link made by an admin later removed or demoted
-- still signed someone in as a new teammate, so the admin kept a way back in. Links made before
-- this have no inviter on record and work as before, until they expire (72 hours).
ALTER TABLE `team_invitations` ADD `invited_by_token_id` text REFERENCES api_tokens(id) ON DELETE cascade;--> statement-breakpoint
CREATE INDEX `team_invitations_invited_by_idx` ON `team_invitations` (`invited_by_token_id`);
