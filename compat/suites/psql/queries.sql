-- Joins, grouping, subqueries, CTEs, set operations, string and math functions.
CREATE TABLE q_dept (id int PRIMARY KEY, name text NOT NULL);
CREATE TABLE q_emp (id int PRIMARY KEY, dept int REFERENCES q_dept(id), name text, pay numeric(10,2));
INSERT INTO q_dept VALUES (1, 'ops'), (2, 'dev'), (3, 'empty');
INSERT INTO q_emp VALUES (1, 1, 'Ann', 100), (2, 1, 'bob', 80), (3, 2, 'Cy', 120), (4, NULL, 'dee', 50);
SELECT d.name, count(e.id) AS n, sum(e.pay) AS total FROM q_dept d LEFT JOIN q_emp e ON e.dept = d.id GROUP BY d.name ORDER BY d.name;
SELECT name FROM q_emp WHERE pay > (SELECT avg(pay) FROM q_emp) ORDER BY name;
WITH rich AS (SELECT * FROM q_emp WHERE pay >= 100) SELECT upper(name), pay FROM rich ORDER BY pay DESC;
SELECT name FROM q_emp WHERE name ILIKE 'b%' UNION SELECT name FROM q_dept WHERE id = 2 ORDER BY 1;
SELECT name, CASE WHEN pay > 90 THEN 'high' ELSE 'low' END AS band FROM q_emp ORDER BY id LIMIT 2 OFFSET 1;
SELECT coalesce(dept, 0) AS dept, length(name), substring(name from 1 for 2), name || '!' FROM q_emp ORDER BY id;
SELECT abs(-3), round(2.567, 2), greatest(1, 5, 3), least(4, 2), mod(7, 3);
SELECT dept, count(*) FROM q_emp GROUP BY dept HAVING count(*) > 1;
SELECT e.name FROM q_emp e WHERE EXISTS (SELECT 1 FROM q_dept d WHERE d.id = e.dept AND d.name = 'dev');
SELECT DISTINCT dept FROM q_emp WHERE dept IS NOT NULL ORDER BY dept;
SELECT id, id # 3 AS x, 6 # 3 FROM q_emp WHERE id # 1 > 1 ORDER BY id;
DROP TABLE q_emp;
DROP TABLE q_dept;
