-- caviar schema: a note on a trial, as a sweep has had since version 3
-- (`caviar note --trial ID TEXT`, or typed on the dashboard's trial page;
-- `caviar show` prints it). (Numbered 007 after 006-panda.sql.)

ALTER TABLE trials ADD COLUMN note TEXT; -- free text; NULL: none
