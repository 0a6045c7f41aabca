CREATE INDEX `invite_codes_invite_idx` ON `invite_codes` (`invite_id`);--> statement-breakpoint
CREATE INDEX `invites_group_idx` ON `invites` (`group_id`);--> statement-breakpoint
CREATE INDEX `join_requests_invite_idx` ON `join_requests` (`invite_id`);--> statement-breakpoint
CREATE INDEX `events_member_idx` ON `events` ("payload" ->> '$.memberId');--> statement-breakpoint
CREATE INDEX `inbound_messages_member_idx` ON `inbound_messages` (`member_id`);--> statement-breakpoint
CREATE INDEX `team_invitations_token_idx` ON `team_invitations` (`token_id`);--> statement-breakpoint
CREATE INDEX `team_invitations_group_idx` ON `team_invitations` (`group_id`);--> statement-breakpoint
CREATE INDEX `telegram_contacts_unlinked_idx` ON `telegram_contacts` (`status_at`) WHERE member_id is null and (status = 'started' or first_name <> '');