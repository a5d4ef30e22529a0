# Two-phase commit: the invalidation is carried from PREPARE TRANSACTION to
# the session that runs COMMIT PREPARED; and a prepared transaction that
# outlives a restart (whose slot is lost) is still invalidated safely.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use lib 't';
use CCTest;

my $node = cc_node('twophase', conf => "max_prepared_transactions = 4\n");
$node->safe_psql('postgres',
	"CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t VALUES (1, 'a')");
my $q = 'SELECT v FROM t WHERE id = 1';

is(cc_query($node, $q), '[{"v": "a"}]', 'cached');
# prepared in one session ...
$node->safe_psql('postgres',
	"BEGIN; UPDATE t SET v = 'b'; PREPARE TRANSACTION 'tx1';");
is(cc_stats($node, 'entries'), '0', 'PREPARE removed the entry');
is(cc_query($node, $q), '[{"v": "a"}]', 'the old value while prepared');
is(cc_query($node, $q), '[{"v": "a"}]', 'still computed, not stored');
is(cc_stats($node, 'entries'), '0', 'nothing stored while prepared');
# ... committed in another
$node->safe_psql('postgres', "COMMIT PREPARED 'tx1'");
is(cc_query($node, $q), '[{"v": "b"}]', 'the committed value after COMMIT PREPARED');
is(cc_query($node, $q), '[{"v": "b"}]', 'and it is cached again');
is(cc_stats($node, 'entries'), '1', 'one entry');

# a prepared transaction that outlives a restart
$node->safe_psql('postgres',
	"BEGIN; UPDATE t SET v = 'c'; PREPARE TRANSACTION 'tx2';");
$node->restart;
is(cc_query($node, $q), '[{"v": "b"}]', 'after the restart, the old value');
is(cc_query($node, $q), '[{"v": "b"}]', 'cached (nothing is known of tx2)');
is(cc_stats($node, 'entries'), '1', 'the old value is stored');
$node->safe_psql('postgres', "COMMIT PREPARED 'tx2'");
is(cc_query($node, $q), '[{"v": "c"}]',
	'COMMIT PREPARED without a record flushes the database: the new value');

# ROLLBACK PREPARED in another session
$node->safe_psql('postgres',
	"BEGIN; UPDATE t SET v = 'never'; PREPARE TRANSACTION 'tx3';");
is(cc_query($node, $q), '[{"v": "c"}]', 'old value while prepared');
$node->safe_psql('postgres', "ROLLBACK PREPARED 'tx3'");
is(cc_query($node, $q), '[{"v": "c"}]', 'rolled back: the same value');
is(cc_query($node, $q), '[{"v": "c"}]', 'cached again');
is(cc_stats($node, 'entries'), '1', 'one entry');

$node->stop;
done_testing();
