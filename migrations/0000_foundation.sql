CREATE TABLE `api_tokens` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`role` text NOT NULL,
	`community_id` text,
	`group_id` text,
	`token_hash` text NOT NULL,
	`token_prefix` text NOT NULL,
	`created_at` integer NOT NULL,
	`revoked_at` integer,
	FOREIGN KEY (`community_id`) REFERENCES `communities`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`group_id`) REFERENCES `groups`(`id`) ON UPDATE no action ON DELETE set null,
	CONSTRAINT "api_tokens_role_check" CHECK("api_tokens"."role" in ('owner', 'community_admin', 'group_admin')),
	CONSTRAINT "api_tokens_scope_check" CHECK(("api_tokens"."role" = 'owner' and "api_tokens"."community_id" is null)
        or ("api_tokens"."role" = 'community_admin' and "api_tokens"."community_id" is not null)
        or ("api_tokens"."role" = 'group_admin' and "api_tokens"."community_id" is not null and "api_tokens"."group_id" is not null))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_tokens_hash_unique` ON `api_tokens` (`token_hash`);--> statement-breakpoint
CREATE INDEX `api_tokens_community_idx` ON `api_tokens` (`community_id`);--> statement-breakpoint
CREATE INDEX `api_tokens_group_idx` ON `api_tokens` (`group_id`);--> statement-breakpoint
CREATE TABLE `communities` (
	`id` text PRIMARY KEY NOT NULL,
	`slug` text NOT NULL,
	`name` text NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`photo_url` text,
	`visibility` text NOT NULL,
	`join_questions` text DEFAULT '[]' NOT NULL,
	`max_groups` integer DEFAULT 50 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	CONSTRAINT "communities_visibility_check" CHECK("communities"."visibility" in ('open', 'closed')),
	CONSTRAINT "communities_max_groups_check" CHECK("communities"."max_groups" between 1 and 50)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `communities_slug_unique` ON `communities` (`slug`);--> statement-breakpoint
CREATE TABLE `groups` (
	`id` text PRIMARY KEY NOT NULL,
	`community_id` text NOT NULL,
	`kind` text NOT NULL,
	`name` text NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`topic` text,
	`icon_url` text,
	`member_limit` integer NOT NULL,
	`chat_invite_url` text,
	`origin` text DEFAULT 'created' NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`community_id`) REFERENCES `communities`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "groups_kind_check" CHECK("groups"."kind" in ('announcement', 'discussion')),
	CONSTRAINT "groups_origin_check" CHECK("groups"."origin" in ('created', 'added')),
	CONSTRAINT "groups_member_limit_check" CHECK("groups"."member_limit" >= 1 and "groups"."member_limit" <= case "groups"."kind" when 'announcement' then 2000 else 1024 end)
);
--> statement-breakpoint
CREATE INDEX `groups_community_idx` ON `groups` (`community_id`,`id`);--> statement-breakpoint
CREATE UNIQUE INDEX `groups_one_announcement_per_community` ON `groups` (`community_id`) WHERE kind = 'announcement';