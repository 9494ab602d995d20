-- Run by run.sh through `mysql -vvv` (statements echoed, "Query OK, N rows
-- affected" and the OK packet's info line printed); @P@ becomes RC_PREFIX.
-- SELECT 'MARK name' lines cut the output into sections run.sh checks.
SELECT 'MARK create';
CREATE TABLE `@P@items` (
    id INT AUTO_INCREMENT PRIMARY KEY,
    name VARCHAR(40) NOT NULL UNIQUE,
    qty INT NOT NULL DEFAULT 0,
    big BIGINT,
    price DOUBLE,
    active TINYINT(1) NOT NULL DEFAULT 1,
    added DATETIME(6),
    day DATE,
    note TEXT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
SELECT 'MARK insert';
INSERT INTO `@P@items` (name, qty, big, price, active, added, day, note) VALUES
    ('widget', 3, -9223372036854775808, 9.5, 1, '2024-01-02 03:04:05.678901', '2024-02-29', NULL),
    ('gädget ✓ 😀', -2, 9223372036854775807, -1.25, 0, NULL, NULL, 'it''s a\ttab');
SELECT 'MARK insert-set';
INSERT INTO `@P@items` SET name = 'set', qty = 7;
SELECT 'MARK update';
UPDATE `@P@items` SET qty = qty + 1 WHERE name IN ('widget', 'set');
SELECT 'MARK update-same';
UPDATE `@P@items` SET qty = 4 WHERE name = 'widget';
SELECT 'MARK upsert-insert';
INSERT INTO `@P@items` (name, qty) VALUES ('upsert', 1) ON DUPLICATE KEY UPDATE qty = qty + 10;
SELECT 'MARK upsert-update';
INSERT INTO `@P@items` (name, qty) VALUES ('upsert', 1) ON DUPLICATE KEY UPDATE qty = qty + 10;
SELECT 'MARK replace';
REPLACE INTO `@P@items` (id, name, qty) VALUES (3, 'set', 70);
SELECT 'MARK insert-ignore';
INSERT IGNORE INTO `@P@items` (name, qty) VALUES ('widget', 0);
SELECT 'MARK delete-none';
DELETE FROM `@P@items` WHERE name = 'nothing';
SELECT 'MARK select';
SELECT id, name, qty, IFNULL(note, 'none'), CONCAT(name, '#', id) FROM `@P@items` ORDER BY id LIMIT 0, 2;
SELECT 'MARK transaction';
START TRANSACTION;
INSERT INTO `@P@items` (name) VALUES ('in-transaction');
SELECT COUNT(*) AS inside FROM `@P@items`;
ROLLBACK;
SELECT COUNT(*) AS after_rollback FROM `@P@items`;
SELECT 'MARK end';
