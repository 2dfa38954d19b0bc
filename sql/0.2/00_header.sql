-- ffrtmp 0.1 -> 0.2: everything this release changes in stored state and API.
-- Each part of sql/0.2/ is one topic; a fresh 0.2 install runs release 0.1's
-- script and then these parts, in file-name order.
\echo Use "ALTER EXTENSION ffrtmp UPDATE TO '0.2'" to load this file. \quit
