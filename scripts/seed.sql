-- Demo data for local development: an open and a closed community with a few groups.
-- Fixed ids and INSERT OR IGNORE make it safe to load on every `npm run dev`.
-- Every group people land in has a chat link, so every join ends at one. They are placeholders
-- (`chat.whatsapp.com/Demo…`): WhatsApp itself answers that the link is not valid; a real
-- group's invite link goes in their place (the README says so).
INSERT OR IGNORE INTO communities (id, slug, name, description, photo_url, visibility, join_questions, max_groups, member_offer, created_at, updated_at) VALUES
  ('cmt_0000000000000000000000000b', 'berlin-runners', 'Berlin Runners',
   'Easy runs, long runs and race days in Berlin. Everyone is welcome, whatever the pace.',
   NULL, 'open', '[]', 50,
   'Members get 10 % off at Laufladen Kreuzberg with the code RUNNERS10.',
   1767225600000, 1767225600000),
  ('cmt_0000000000000000000000000k', 'kiez-makers', 'Kiez Makers',
   'A closed circle of makers in Neukölln: workshops, tool sharing and repair cafés.',
   NULL, 'closed', '["What do you like to make?","Which Kiez do you live in?"]', 50, NULL,
   1767225600000, 1767225600000);

INSERT OR IGNORE INTO groups (id, community_id, kind, name, description, topic, icon_url, member_limit, chat_invite_url, origin, created_at, updated_at) VALUES
  ('grp_000000000000000000000000b0', 'cmt_0000000000000000000000000b', 'announcement', 'Announcements',
   'News from Berlin Runners. Only admins post here.', NULL, NULL, 2000, 'https://chat.whatsapp.com/DemoBerlinRunners', 'created', 1767225600000, 1767225600000),
  ('grp_000000000000000000000000b1', 'cmt_0000000000000000000000000b', 'discussion', 'Sunday long run',
   'Every Sunday at 9:00, Tempelhofer Feld.', 'Long runs', NULL, 1024, 'https://chat.whatsapp.com/DemoSundayLongRun', 'created', 1767225600001, 1767225600001),
  ('grp_000000000000000000000000b2', 'cmt_0000000000000000000000000b', 'discussion', 'Track Tuesdays',
   'Intervals on the track, all levels.', 'Speed work', NULL, 1024, 'https://chat.whatsapp.com/DemoTrackTuesdays', 'added', 1767225600002, 1767225600002),
  ('grp_000000000000000000000000k0', 'cmt_0000000000000000000000000k', 'announcement', 'Announcements',
   'News from Kiez Makers. Only admins post here.', NULL, NULL, 2000, 'https://chat.whatsapp.com/DemoKiezMakers', 'created', 1767225600000, 1767225600000),
  ('grp_000000000000000000000000k1', 'cmt_0000000000000000000000000k', 'discussion', 'Repair café',
   'Bring something broken, leave with it fixed.', 'Repairs', NULL, 200, 'https://chat.whatsapp.com/DemoRepairCafe', 'created', 1767225600001, 1767225600001);

-- One invite link per demo community: open http://localhost:8787/i/sundayrunners
-- Demo codes are custom codes: lower case and within the rules of src/lib/codes.ts
-- (test/tooling/demo-seed.test.ts checks every seeded code against them).
INSERT OR IGNORE INTO invites (id, community_id, group_id, code, label, source, medium, campaign, max_uses, uses, expires_at, revoked_at, created_at, updated_at) VALUES
  ('inv_0000000000000000000000000b', 'cmt_0000000000000000000000000b', 'grp_000000000000000000000000b1', 'sundayrunners',
   'Poster at Tempelhofer Feld', 'poster', 'print', 'demo', NULL, 0, NULL, NULL, 1767225600000, 1767225600000),
  ('inv_0000000000000000000000000k', 'cmt_0000000000000000000000000k', NULL, 'handmademaker',
   'Instagram bio', 'instagram', 'social', 'demo', NULL, 0, NULL, NULL, 1767225600000, 1767225600000);

INSERT OR IGNORE INTO invite_codes (code, invite_id, created_at, retired_at) VALUES
  ('sundayrunners', 'inv_0000000000000000000000000b', 1767225600000, NULL),
  ('handmademaker', 'inv_0000000000000000000000000k', 1767225600000, NULL);

-- Three demo members of Berlin Runners (contact details are made up), in its announcement group.
INSERT OR IGNORE INTO join_requests (id, community_id, invite_id, group_id, referrer_member_id, name, phone, email, answers, consent, country, status, reason, status_token_hash, member_id, created_at, decided_at) VALUES
  ('jr_000000000000000000000000b1', 'cmt_0000000000000000000000000b', 'inv_0000000000000000000000000b', NULL, NULL, 'Lena', '+4915100000001', NULL, '[]', 1, 'DE', 'approved', NULL, 'demo-token-hash-1', 'mem_000000000000000000000000b1', 1767225600000, 1767225600000),
  ('jr_000000000000000000000000b2', 'cmt_0000000000000000000000000b', 'inv_0000000000000000000000000b', NULL, NULL, 'Jonas', '+4915100000002', NULL, '[]', 1, 'DE', 'approved', NULL, 'demo-token-hash-2', 'mem_000000000000000000000000b2', 1767225600000, 1767225600000),
  ('jr_000000000000000000000000b3', 'cmt_0000000000000000000000000b', 'inv_0000000000000000000000000b', NULL, NULL, 'Mia', NULL, 'mia@example.com', '[]', 1, 'AT', 'approved', NULL, 'demo-token-hash-3', 'mem_000000000000000000000000b3', 1767225600000, 1767225600000);

INSERT OR IGNORE INTO members (id, community_id, name, phone, email, consent, status, join_request_id, invite_id, referred_by_member_id, referral_count, joined_at) VALUES
  ('mem_000000000000000000000000b1', 'cmt_0000000000000000000000000b', 'Lena', '+4915100000001', NULL, 1, 'active', 'jr_000000000000000000000000b1', 'inv_0000000000000000000000000b', NULL, 0, 1767225600000),
  ('mem_000000000000000000000000b2', 'cmt_0000000000000000000000000b', 'Jonas', '+4915100000002', NULL, 1, 'active', 'jr_000000000000000000000000b2', 'inv_0000000000000000000000000b', NULL, 0, 1767225600000),
  ('mem_000000000000000000000000b3', 'cmt_0000000000000000000000000b', 'Mia', NULL, 'mia@example.com', 1, 'active', 'jr_000000000000000000000000b3', 'inv_0000000000000000000000000b', NULL, 0, 1767225600000);

INSERT OR IGNORE INTO group_members (group_id, member_id, joined_at) VALUES
  ('grp_000000000000000000000000b0', 'mem_000000000000000000000000b1', 1767225600000),
  ('grp_000000000000000000000000b0', 'mem_000000000000000000000000b2', 1767225600000),
  ('grp_000000000000000000000000b0', 'mem_000000000000000000000000b3', 1767225600000),
  ('grp_000000000000000000000000b1', 'mem_000000000000000000000000b1', 1767225600000);

UPDATE groups SET member_count = (SELECT count(*) FROM group_members WHERE group_id = groups.id)
WHERE community_id IN ('cmt_0000000000000000000000000b', 'cmt_0000000000000000000000000k');
