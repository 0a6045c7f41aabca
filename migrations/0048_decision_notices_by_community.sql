ALTER TABLE `decision_notices` ADD `community_id` text;--> statement-breakpoint
UPDATE `decision_notices` SET `community_id` = (SELECT `community_id` FROM `join_requests` WHERE `join_requests`.`id` = `decision_notices`.`join_request_id`);--> statement-breakpoint
CREATE INDEX `decision_notices_untold_idx` ON `decision_notices` (`community_id`,`status`,`updated_at`);
