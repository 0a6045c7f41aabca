DROP INDEX `invites_referrer_unique`;--> statement-breakpoint
CREATE INDEX `invites_campaign_idx` ON `invites` (`community_id`,`id`) WHERE "invites"."referrer_member_id" is null;--> statement-breakpoint
CREATE UNIQUE INDEX `invites_referrer_unique` ON `invites` (`referrer_member_id`) WHERE "invites"."referrer_member_id" is not null;