CREATE TABLE `marketing_preferences` (
	`phone` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL,
	`timestamp` integer NOT NULL,
	`applied` integer DEFAULT false NOT NULL,
	CONSTRAINT "marketing_preferences_value_check" CHECK("marketing_preferences"."value" in ('stop', 'resume'))
);
--> statement-breakpoint
CREATE INDEX `marketing_preferences_timestamp_idx` ON `marketing_preferences` (`timestamp`);