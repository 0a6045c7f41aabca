PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_telegram_contacts` (
	`user_id` integer PRIMARY KEY NOT NULL,
	`member_id` text,
	`linked_by` text,
	`first_name` text NOT NULL,
	`username` text,
	`language_code` text,
	`status` text NOT NULL,
	`confirmed_at` integer NOT NULL,
	`consent_method` text NOT NULL,
	`consent_proof` text NOT NULL,
	`stopped_at` integer,
	`stop_proof` text,
	`status_at` integer NOT NULL,
	`created_at` integer NOT NULL,
	CONSTRAINT "telegram_contacts_status_check" CHECK("__new_telegram_contacts"."status" in ('started', 'stopped')),
	CONSTRAINT "telegram_contacts_method_check" CHECK("__new_telegram_contacts"."consent_method" in ('telegram_start')),
	CONSTRAINT "telegram_contacts_linked_by_check" CHECK("__new_telegram_contacts"."linked_by" in ('member_link', 'referral_code'))
);
--> statement-breakpoint
INSERT INTO `__new_telegram_contacts`("user_id", "member_id", "first_name", "username", "language_code", "status", "confirmed_at", "consent_method", "consent_proof", "stopped_at", "stop_proof", "status_at", "created_at") SELECT "user_id", "member_id", "first_name", "username", "language_code", "status", "confirmed_at", "consent_method", "consent_proof", "stopped_at", "stop_proof", "status_at", "created_at" FROM `telegram_contacts`;--> statement-breakpoint
DROP TABLE `telegram_contacts`;--> statement-breakpoint
ALTER TABLE `__new_telegram_contacts` RENAME TO `telegram_contacts`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE INDEX `telegram_contacts_member_idx` ON `telegram_contacts` (`member_id`) WHERE member_id is not null;--> statement-breakpoint
CREATE INDEX `telegram_contacts_unlinked_idx` ON `telegram_contacts` (`status_at`) WHERE member_id is null and (status = 'started' or first_name <> '');