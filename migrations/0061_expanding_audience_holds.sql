-- A one-off announcement is `sent` as soon as its run is made; the run then reads its audience's
-- members from the groups while it expands, in the queue's steps. A group that run is expanding
-- to is held too (0060 held those scheduled or dispatching only), so a group deleted right after
-- "Send now" leaves no run sent to nobody. The run by the announcement's runs' unique index.
DROP TRIGGER `groups_scheduled_audience_holds`;
--> statement-breakpoint
CREATE TRIGGER `groups_scheduled_audience_holds` BEFORE DELETE ON `groups`
WHEN EXISTS (SELECT 1 FROM `communities` WHERE `id` = OLD.`community_id`)
  AND EXISTS (SELECT 1 FROM `announcements` a, json_each(a.`audience_group_ids`) j
    WHERE a.`community_id` = OLD.`community_id`
      AND j.`value` = OLD.`id`
      AND (+a.`status` IN ('scheduled', 'dispatching')
        OR EXISTS (SELECT 1 FROM `dispatches` d
          WHERE d.`announcement_id` = a.`id` AND +d.`status` = 'expanding')))
BEGIN
  SELECT RAISE(ABORT, 'group_in_use');
END;
