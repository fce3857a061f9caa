-- Schema version 2: a status column for approvals (NULL until a record has one) and indexes for
-- the permission scope (creator OR department), so a scoped list stays fast at a million records.
ALTER TABLE records ADD COLUMN status text COLLATE "C";
CREATE INDEX records_creator ON records (form, creator, id);
CREATE INDEX records_department ON records (form, department, id);
CREATE INDEX records_status ON records (form, status, id) WHERE status IS NOT NULL;
