# A ladder's renditions are encoded in parallel, one thread per rendition's
# encoder (transcode_encoders.c; a single output's encoder has its thread
# too), and that changes nothing in what they hold: each rendition of a
# three-rung ladder (quality, bitrate, another frame rate) has exactly the
# packets, video and audio, of the same rendition transcoded alone, so no
# frame is lost, doubled or reordered on the way through the queues; with
# --threads=1 a single output's encoder runs in a thread of its own beside
# the decoding (a transcode copying the video has none), and a ladder has
# one such thread per rendition; and a ladder stopped mid-way (SIGTERM, as
# a job's cancel) ends promptly, reports it was stopped and publishes
# nothing.
use strict;
use warnings;
use FfrtmpMedia;
use IPC::Run ();
use Test::More;
use Time::HiRes ();

my $dir = media_dir();
my $bin = $ENV{FFRTMP_TRANSCODE} // 'ffrtmp-transcode';
my $in = make_clip("$dir/in.mp4", size => '640x360', seconds => 4);

my @rungs = (
	{ name => 'q', size => '640x360', crf => 20 },
	{ name => 'b', size => '480x270', video_bitrate => '600k' },
	{ name => 'f', size => '320x180', video_bitrate => '300k', fps => 15 },
);
my %common = (format => 'hls', encoder_preset => 'veryfast', audio_codec => 'aac', hls_segment_seconds => 2);

# --- each rendition of the ladder = that rendition alone --------------------
mkdir "$dir/ladder";
my $run = transcode($in, "$dir/ladder/index.m3u8", { %common, renditions => \@rungs }, '--threads=1');
is($run->{status}, 0, 'the three-rung ladder succeeds') or diag $run->{stderr};
for my $rung (@rungs)
{
	mkdir "$dir/$rung->{name}";
	my $alone = transcode($in, "$dir/$rung->{name}/index.m3u8", { %common, renditions => [$rung] }, '--threads=1');
	is($alone->{status}, 0, "rendition $rung->{name} alone succeeds") or diag $alone->{stderr};
	my $in_ladder = "$dir/ladder/index_$rung->{name}.m3u8";
	my $by_itself = "$dir/$rung->{name}/index_$rung->{name}.m3u8";
	is((video_info($in_ladder) // {})->{frames}, 4 * ($rung->{fps} // 30),
		"rendition $rung->{name}: the ladder's has every frame of its 4 s");
	for my $map ('0:v', '0:a')
	{
		is(packet_md5($in_ladder, $map), packet_md5($by_itself, $map),
			"rendition $rung->{name}: the ladder's $map packets are those of the rendition encoded alone");
	}
}

# --- one encoder thread per rendition -----------------------------------------
# The most threads the process has while it runs (sampled from /proc).
sub most_threads
{
	my ($output, $params) = @_;
	my ($out, $err) = ('', '');
	my $h = IPC::Run::start([ $bin, '--quiet', '--threads=1', '--params=' . json_text($params), $in, $output ],
		'<', \undef, '>', \$out, '2>', \$err, IPC::Run::timeout(300));
	my $pid = $h->{KIDS}[0]{PID};
	my $most = 0;
	while ($h->pumpable)
	{
		if (opendir(my $tasks, "/proc/$pid/task"))
		{
			my $n = grep { /^\d+$/ } readdir $tasks;
			$most = $n if $n > $most;
		}
		Time::HiRes::sleep(0.005);
		$h->pump_nb;
	}
	$h->finish;
	diag $err if $?;
	return $most;
}

my $long = make_clip("$dir/long.mp4", size => '640x360', seconds => 10);
$in = $long;
mkdir "$dir/threads";
my $copy = most_threads("$dir/threads/copy.mp4", { format => 'mp4', video_codec => 'copy', audio_codec => 'aac' });
my $single = most_threads("$dir/threads/single.m3u8", { %common, size => '640x360' });
my $ladder = most_threads("$dir/threads/ladder.m3u8", { %common, renditions => \@rungs });
cmp_ok($single - $copy, '>=', 1,
	"with --threads=1 a single output's encoder runs in a thread of its own ($single threads; copying the video $copy)");
cmp_ok($ladder - $single, '>=', @rungs - 1,
	"and a ladder runs one encoder thread per rendition ($ladder threads)");

# --- stopped mid-ladder --------------------------------------------------------
{
	my ($out, $err) = ('', '');
	my $h = IPC::Run::start(
		[ $bin, '--quiet', '--threads=1', '--params=' . json_text({ %common, renditions => \@rungs }),
		  'testsrc://640x360@30?duration=600', "$dir/stopped/index.m3u8" ],
		'<', \undef, '>', \$out, '2>', \$err, IPC::Run::timeout(120));
	my $pid = $h->{KIDS}[0]{PID};
	# Stop it once its encoders are running (one thread each, as above).
	for (1 .. 2000)
	{
		last if (() = glob("/proc/$pid/task/*")) > scalar @rungs;
		Time::HiRes::sleep(0.01);
	}
	Time::HiRes::sleep(0.5);
	$h->signal('TERM');
	my $ended = eval { $h->finish; 1 };
	ok($ended, 'a ladder sent SIGTERM mid-way ends (no encoder thread left waiting)') or diag $@;
	isnt($? >> 8, 0, 'and exits with a failure status');
	like($err, qr/stopped/, 'saying it was stopped') or diag $err;
	ok(!-e "$dir/stopped/index.m3u8", 'and publishes no playlist');
}

done_testing();
