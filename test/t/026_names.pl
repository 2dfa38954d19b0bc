# Names that work end to end (src/common/names.h): input files whose names
# hold spaces, '#', '?', '%' and non-ASCII letters, submitted as
# percent-encoded file:// URLs (RFC 8089), are found and transcoded; output
# names too long for the worker's staging names, or starting with '.' like
# them, are refused at submit with a hint that gives the limit, and the
# longest name accepted is written.
use strict;
use warnings;
use utf8;
use File::Copy qw(copy);
use FfrtmpCluster;
use FfrtmpMedia;
use PostgreSQL::Test::Utils;
use Test::More;

my $env = FfrtmpCluster->new('names');
my $clip = make_clip($env->input_root . '/clip.mp4', size => '320x240', fps => 25, seconds => 1);

# RFC 3986 percent-encoding of a path's bytes, '/' kept.
sub file_url
{
	my ($path) = @_;
	utf8::encode($path) if utf8::is_utf8($path);
	$path =~ s{([^A-Za-z0-9\-._~/])}{sprintf('%%%02X', ord $1)}ge;
	return "file://$path";
}

my %names = (
	space => 'my clip.mp4',
	hash => 'take #2.mp4',
	question => 'why?.mp4',
	percent => '100% done.mp4',
	accents => 'café déjà vu.mp4',
	cjk => '東京.mp4',
	all => 'a b#c?d%20e é.mp4',
);
my %jobs;
for my $key (sort keys %names)
{
	my $name = $names{$key};
	my $path = $env->input_root . '/' . $name;
	utf8::encode($path);
	copy($clip, $path) or die "copy to $path: $!";
	$jobs{$key} = $env->submit(file_url($path), output => "in/$key.mp4", params => { video_codec => 'h264' });
}
# The same file with its letters written raw (RFC 3987), only the spaces encoded.
(my $raw_url = 'file://' . $env->input_root . '/café déjà vu.mp4') =~ s/ /%20/g;
$jobs{raw_utf8} = $env->submit($raw_url, output => 'in/raw_utf8.mp4', params => { video_codec => 'h264' });
$names{raw_utf8} = 'café déjà vu.mp4 (raw UTF-8 in the URL)';

my $longest = ('n' x 204) . '.mp4';
$jobs{longest} = $env->submit(file_url($clip), output => "out/$longest", params => { video_codec => 'h264' });
my $longest_hls = ('h' x 203) . '.m3u8';
$jobs{longest_hls} = $env->submit(file_url($clip), output => "hls/$longest_hls",
	params => { format => 'hls', hls_segment_seconds => 1 });

# An HLS output naming a directory (no .m3u8) gets its playlist as
# index.m3u8 in it: that longer path is the one that must fit 1024 bytes.
my $hls_dir = join('/', ('d' x 200) x 5) . '/' . ('x' x 8);
$jobs{longest_hls_dir} = $env->submit(file_url($clip), output => $hls_dir,
	params => { format => 'hls', hls_segment_seconds => 1 });

my $worker = $env->start_worker(args => ['--slots=2']);

for my $key (sort grep { !/^longest/ } keys %jobs)
{
	my $job = $env->wait_job($jobs{$key});
	is($job->{state}, 'completed', "an input named \"$names{$key}\" as a percent-encoded file URL completes")
	  or diag "$job->{failure_reason}: $job->{error}";
	my $out = probe_summary($env->output_path("in/$key.mp4")) // {};
	is($out->{video}{frames}, 25, "and its output has the input's 25 frames");
}

my $job = $env->wait_job($jobs{longest});
is($job->{state}, 'completed', 'an output file name of 208 bytes, the longest accepted, is written');
ok(-s $env->output_path("out/$longest"), 'under that name');
$job = $env->wait_job($jobs{longest_hls});
is($job->{state}, 'completed', 'an HLS playlist name of 208 bytes is written, segments and all');
my $list = hls_media($env->output_path("hls/$longest_hls")) // { segments => [] };
ok(@{ $list->{segments} } >= 1
	  && !(grep { !-s $env->output_path("hls/$_") } map { $_->{uri} } @{ $list->{segments} }),
	'every segment the playlist names is there');

$job = $env->wait_job($jobs{longest_hls_dir});
is($job->{state}, 'completed', 'an HLS output directory of 1013 bytes is written, index.m3u8 in it')
  or diag "$job->{failure_reason}: $job->{error}";
ok(-s $env->output_path("$hls_dir/index.m3u8"), 'as the playlist path of 1024 bytes');

# Refused at submit: nothing is queued that the worker could not write.
my ($id, $err) = $env->try_submit('testsrc://1280x720@30?duration=1', output => $hls_dir . 'x',
	params => { format => 'hls' });
ok(!defined $id, 'an HLS output directory of 1014 bytes is refused at submit (its playlist path would be 1025)');
like($err, qr/22023.*index\.m3u8/s, 'as an invalid parameter (22023) naming index.m3u8');
($id, $err) = $env->try_submit('testsrc://1280x720@30?duration=1', output => ('n' x 242) . '.mp4');
ok(!defined $id, 'an output name of 246 bytes is refused at submit');
like($err, qr/22023/, 'as an invalid parameter (22023)');
like($err, qr/HINT:.*208 bytes/, 'with a hint that gives the limit (208 bytes)');
($id, $err) = $env->try_submit('testsrc://1280x720@30?duration=1', output => 'ok/.x.mp4.1.partial');
ok(!defined $id, "an output name starting with '.' (a staging name) is refused");
like($err, qr/22023.*invalid output_url/s, 'as an invalid output_url');
($id, $err) = $env->try_submit('testsrc://1280x720@30?duration=1', output => '.hidden/x.mp4');
ok(!defined $id, "a directory starting with '.' is refused too");
for my $bad ('file:///media/in/a%2Fb.mp4', 'file:///media/in/a%00.mp4', 'file:///media/in/%2e%2e/x.mp4',
	'file:///media/in/a.mp4#t=1', 'file://other-host/media/a.mp4')
{
	($id, $err) = $env->try_submit($bad);
	ok(!defined $id && $err =~ /22023/, "the file URL $bad is refused at submit");
}

$env->stop_worker($worker);
done_testing();
