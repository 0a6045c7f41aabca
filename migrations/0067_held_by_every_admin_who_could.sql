ALTER TABLE `api_tokens` ADD `email_also_held_by` text;--> statement-breakpoint
ALTER TABLE `sessions` ADD `also_held_by` text;--> statement-breakpoint
ALTER TABLE `team_invitations` ADD `also_held_by` text;