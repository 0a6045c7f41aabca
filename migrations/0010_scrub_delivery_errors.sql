-- Delivery rows written before endpoints' answers were dropped may hold what an endpoint
-- answered ("HTTP 500: <body>", "network: <error>"). Keep only the status and a fixed reason.
UPDATE `webhook_deliveries` SET `last_error` = substr(`last_error`, 1, 8) || ' from the endpoint' WHERE `last_error` GLOB 'HTTP [0-9][0-9][0-9]:*';
--> statement-breakpoint
UPDATE `webhook_deliveries` SET `last_error` = 'network error' WHERE `last_error` GLOB 'network:*';
--> statement-breakpoint
UPDATE `deliveries` SET `last_error` = substr(`last_error`, 1, 8) || ' from the endpoint' WHERE `last_error` GLOB 'HTTP [0-9][0-9][0-9]:*';
--> statement-breakpoint
UPDATE `deliveries` SET `last_error` = 'network error' WHERE `last_error` GLOB 'network:*';
--> statement-breakpoint
UPDATE `deliveries` SET `last_error` = 'unexpected error' WHERE `last_error` GLOB 'unexpected:*';
--> statement-breakpoint
UPDATE `dead_letters` SET `error` = substr(`error`, 1, 8) || ' from the endpoint' WHERE `error` GLOB 'HTTP [0-9][0-9][0-9]:*';
--> statement-breakpoint
UPDATE `dead_letters` SET `error` = 'network error' WHERE `error` GLOB 'network:*';
--> statement-breakpoint
UPDATE `dead_letters` SET `error` = 'unexpected error' WHERE `error` GLOB 'unexpected:*';
