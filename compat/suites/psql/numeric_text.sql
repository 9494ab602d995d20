-- Numeric arithmetic keeps decimal scale in PostgreSQL.
SELECT '2.5'::numeric * 2 AS n, 7.0 / 2 AS ndiv, 0.1 + 0.2 AS sum, 1.50 AS lit;
