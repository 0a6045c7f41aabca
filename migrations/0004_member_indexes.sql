DROP INDEX `members_referrals_idx`;--> statement-breakpoint
CREATE INDEX `members_community_id_idx` ON `members` (`community_id`,`id`);--> statement-breakpoint
CREATE INDEX `members_leaderboard_idx` ON `members` (`community_id`,referral_count desc,`id`);--> statement-breakpoint
CREATE INDEX `members_referred_joined_idx` ON `members` (`community_id`,`joined_at`,`referred_by_member_id`) WHERE referred_by_member_id is not null;