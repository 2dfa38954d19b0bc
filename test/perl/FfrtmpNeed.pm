# FfrtmpNeed: what a test does when a tool or file it needs is missing.
# In a developer's run of chosen layers it skips; in a full run
# (scripts/test.sh with no layers, as CI runs it, exports
# FFRTMP_TEST_FULL=1 after installing every package) it fails, so that a
# run cannot pass with a piece untested.
package FfrtmpNeed;

use strict;
use warnings;
use Exporter 'import';
use Test::More;

our @EXPORT = qw(skip_all_because skip_because);

sub _full { return ($ENV{FFRTMP_TEST_FULL} // '') eq '1' }

# Instead of plan skip_all => $why: the whole file.
sub skip_all_because
{
	my ($why) = @_;
	plan skip_all => $why unless _full();
	plan tests => 1;
	fail("$why: a full run (FFRTMP_TEST_FULL=1) may not skip this test");
	exit 1;
}

# Instead of skip($why, $count), inside a SKIP: block.
sub skip_because
{
	my ($why, $count) = @_;
	fail("$why: a full run (FFRTMP_TEST_FULL=1) may not skip this test") if _full();
	skip($why, $count);
}

1;
