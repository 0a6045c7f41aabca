ALTER TABLE `dispatches` ADD `channel` text DEFAULT 'webhook' NOT NULL;--> statement-breakpoint
-- Runs made before the channel was recorded: those whose messages carry a WhatsApp message id
-- went out through WhatsApp; the rest through the webhook channel, which reports nothing back.
UPDATE `dispatches` SET `channel` = 'whatsapp' WHERE `id` IN (SELECT `dispatch_id` FROM `deliveries` WHERE `provider_message_id` IS NOT NULL);
