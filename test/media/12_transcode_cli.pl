# The command line of ffrtmp-transcode, as a newcomer meets it: OUTPUT never
# destroys INPUT or an earlier output (written under a partial name, renamed
# into place on success), missing output directories are created, an HLS
# OUTPUT without .m3u8 is a directory as for a job's output_url, every
# testsrc:// form submit_job takes is taken, bad usage says what was wrong in
# one line, and the result JSON writes numbers as people read them.
use strict;
use warnings;
use Digest::MD5;
use File::Find;
use FfrtmpMedia;
use IPC::Run ();
use Test::More;

my $dir = media_dir();
my $bin = $ENV{FFRTMP_TRANSCODE} // 'ffrtmp-transcode';

# Runs the CLI with exactly these arguments: (exit status, stdout, stderr).
sub cli
{
	my ($out, $err) = ('', '');
	my $ok = eval { IPC::Run::run([ $bin, @_ ], '<', \undef, '>', \$out, '2>', \$err, IPC::Run::timeout(300)) };
	return ($ok ? 0 : ($? >> 8) || 1, $out, $err . ($@ // ''));
}

sub md5_of
{
	my ($path) = @_;
	open(my $fh, '<:raw', $path) or return 'missing';
	return Digest::MD5->new->addfile($fh)->hexdigest;
}

# Every file under a directory (hidden ones included), path => md5.
sub tree
{
	my ($root) = @_;
	my %files;
	find({ wanted => sub { $files{$File::Find::name} = md5_of($_) if -f $_ }, no_chdir => 0 }, $root) if -d $root;
	return \%files;
}

# Each playlist under root names only segments and playlists that exist.
sub playlists_complete
{
	my ($root) = @_;
	my @missing;
	for my $playlist (grep { /\.m3u8$/ } keys %{ tree($root) })
	{
		my ($base) = $playlist =~ m{^(.*/)};
		open(my $fh, '<', $playlist) or next;
		push @missing, map { "$playlist -> $_" } grep { !-e "$base$_" } map { s/\s+$//r } grep { !/^#/ && /\S/ } <$fh>;
	}
	return \@missing;
}

my $input = ffmpeg_make("$dir/in.mp4", [ '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25:duration=1',
		'-f', 'lavfi', '-i', 'sine=duration=1' ], [ '-c:v', 'libx264', '-c:a', 'aac', '-shortest' ]);

# 1. OUTPUT that is INPUT, by name, through a symbolic link or a hard link,
# or with INPUT as a file:// URL: refused as bad usage, the input intact (a
# copy of it: the old code truncated, then deleted it).
for my $case ([ 'the same name', '', '' ], [ 'a symbolic link', '', 'link.mp4' ],
	[ 'a hard link', '', 'hard.mp4' ], [ 'a file:// input', 'file://', '' ])
{
	my ($name, $scheme, $alias) = @$case;
	my $victim = "$dir/victim.mp4";
	unlink $victim, "$dir/link.mp4", "$dir/hard.mp4";
	ffmpeg_make($victim, [ '-i', $input ], [ '-c', 'copy' ]);
	my $victim_md5 = md5_of($victim);
	symlink($victim, "$dir/link.mp4") or die if $alias eq 'link.mp4';
	link($victim, "$dir/hard.mp4") or die if $alias eq 'hard.mp4';
	my ($rc, undef, $err) = cli('--quiet', "$scheme$victim", $alias ? "$dir/$alias" : $victim);
	is($rc, 2, "OUTPUT is INPUT ($name): bad usage");
	like($err, qr/^ffrtmp-transcode: the output .* is the input file/m, "OUTPUT is INPUT ($name): says so");
	is(md5_of($victim), $victim_md5, "OUTPUT is INPUT ($name): the input is intact");
}

# 2. A failed run leaves an earlier file at OUTPUT as it was, and no partial.
open(my $fh, '>', "$dir/garbage.mp4") or die;
print $fh "not a video\n" x 100;
close $fh;
open($fh, '>', "$dir/earlier.mp4") or die;
print $fh "an earlier output\n";
close $fh;
my $earlier_md5 = md5_of("$dir/earlier.mp4");
my $run = transcode("$dir/garbage.mp4", "$dir/earlier.mp4", {});
is($run->{status}, 1, 'a failed run fails');
is(md5_of("$dir/earlier.mp4"), $earlier_md5, 'a failed run leaves the earlier file at OUTPUT');
ok(!-e "$dir/.earlier.mp4.partial", 'and no partial file');

# An interrupted run (SIGTERM once it has written something): the same, for a
# file and for HLS, where an earlier complete output stays whole.
sub interrupted
{
	my ($name, $root, $params, $output) = @_;
	my $before = tree($root);
	my ($out, $err) = ('', '');
	my $h = IPC::Run::start([ $bin, '--quiet', '--params=' . json_text($params),
			'testsrc://320x240@25?duration=3600', $output ], '<', \undef, '>', \$out, '2>', \$err);
	for (1 .. 600)
	{
		my $now = tree($root);
		last if grep { ($before->{$_} // "") ne $now->{$_} } keys %$now;
		select(undef, undef, undef, 0.1);
	}
	$h->signal('TERM');
	eval { $h->finish };
	isnt($h->result, 0, "$name: the interrupted run fails") or diag $err;
	is_deeply(tree($root), $before, "$name: leaves the earlier output as it was, and nothing new");
}
interrupted('a file output', "$dir", {}, "$dir/earlier.mp4");
is(md5_of("$dir/earlier.mp4"), $earlier_md5, 'a file output: the earlier file is intact');

my $ladder = { format => 'hls', hls_segment_seconds => 1,
	renditions => [ { size => '320x240' }, { size => '160x120' } ] };
mkdir "$dir/hls";
$run = transcode($input, "$dir/hls/index.m3u8", $ladder);
is($run->{status}, 0, 'an earlier HLS output is made') or diag $run->{stderr};
interrupted('an HLS output', "$dir/hls", $ladder, "$dir/hls/index.m3u8");
is_deeply(playlists_complete("$dir/hls"), [], 'an HLS output: every playlist names files that exist');

# A failed run into directories that did not exist leaves none of them (the
# old code left them, empty); one that existed before stays.
mkdir "$dir/kept";
for my $case ([ 'a file', {}, "$dir/kept/fresh/a/x.mp4" ], [ 'HLS', { format => 'hls' }, "$dir/kept/fresh/b/out" ])
{
	my ($name, $params, $output) = @$case;
	$run = transcode("$dir/garbage.mp4", $output, $params);
	is($run->{status}, 1, "a failed run into new directories ($name) fails");
	ok(!-e "$dir/kept/fresh" && -d "$dir/kept", "a failed run into new directories ($name) leaves none of them");
}

# 3. The example of docs/worker.md ("ffrtmp-transcode"): out/ does not exist yet; it is created (mkdir -p).
$run = transcode($input, "$dir/new/out/index.m3u8", $ladder);
is($run->{status}, 0, 'missing output directories are created') or diag $run->{stderr};
ok(-f "$dir/new/out/index.m3u8", 'the master playlist is in place');
is_deeply(playlists_complete("$dir/new"), [], 'and every playlist names files that exist');
$run = transcode($input, "$dir/new/deeper/out.mp4", {});
ok($run->{status} == 0 && -f "$dir/new/deeper/out.mp4", 'a file output in a missing directory too')
  or diag $run->{stderr};

# 4. An HLS OUTPUT without .m3u8 is a directory for index.m3u8, as a job's output_url.
for my $output ("$dir/out/hd/mydir", "$dir/out/hd3/")
{
	(my $playlist = "$output/index.m3u8") =~ s{//}{/};
	$run = transcode($input, $output, { format => 'hls' });
	is($run->{status}, 0, "HLS to $output: done") or diag $run->{stderr};
	ok(-f $playlist, "HLS to $output: the playlist is its index.m3u8");
	is($run->{result}{format}, 'hls', "HLS to $output: the result probes the playlist");
}

# 5. Every testsrc:// form submit_job takes, with its defaults (1280x720@30, 10 s).
my %testsrc = (
	'testsrc://' => [ 1280, 720, 30, 10 ],
	'testsrc://640x360' => [ 640, 360, 30, 10 ],
	'testsrc://640x360@25' => [ 640, 360, 25, 10 ],
	'testsrc://640x360?duration=1' => [ 640, 360, 30, 1 ],
	'testsrc://@24?duration=2' => [ 1280, 720, 24, 2 ]);
for my $url (sort keys %testsrc)
{
	my ($w, $h, $fps, $seconds) = @{ $testsrc{$url} };
	# The length from the sound alone (cheap); the picture from half a second.
	my $sound = transcode($url, "$dir/sound.mp4", { video_codec => 'none' });
	is($sound->{status}, 0, "$url: taken") or diag $sound->{stderr};
	ok(abs(($sound->{result}{duration} // 0) - $seconds) < 0.1, "$url: $seconds s");
	my $picture = transcode($url, "$dir/picture.mp4", { duration => 0.5, encoder_preset => 'ultrafast' });
	my ($video) = grep { $_->{type} eq 'video' } @{ $picture->{result}{streams} // [] };
	is(join(' ', map { $_ // '?' } @$video{qw(width height fps)}), "$w $h $fps", "$url: ${w}x$h at $fps fps");
}
for my $bad ('testsrc://8x8', 'testsrc://640x360@0', 'testsrc://640x360?duration=86401', 'testsrc://640x')
{
	my ($rc, undef, $err) = cli('--quiet', $bad, "$dir/bad.mp4");
	is($rc, 2, "$bad: bad usage");
	like($err, qr/invalid test source .*testsrc:\/\/\[WIDTHxHEIGHT\]\[\@FPS\]\[\?duration=SECONDS\].*16x16 to 7680x4320, 1 to 240 fps, 1 to 86400 s/,
		"$bad: the error states the form and the limits");
}

# 6. Bad usage: one line that says what, a hint, exit 2; no help text.
for my $case ([ 'threads 0', [ '-j', '0', $input, "$dir/x.mp4" ], qr/threads/ ],
	[ 'missing OUTPUT', [$input], qr/missing OUTPUT/ ],
	[ 'an unknown option', [ '--bogus', $input, "$dir/x.mp4" ], qr/unrecognized option '--bogus'/ ],
	[ 'an io-timeout of zero', [ '--io-timeout=0', $input, "$dir/x.mp4" ], qr/io-timeout/ ],
	[ '65 gpus', [ '--gpus=65', $input, "$dir/x.mp4" ], qr/invalid --gpus '65'/ ])
{
	my ($name, $args, $what) = @$case;
	my ($rc, $out, $err) = cli(@$args);
	is($rc, 2, "$name: exit 2");
	like($err, qr/\Affrtmp-transcode: .*$what.*\nTry 'ffrtmp-transcode --help' for more information\.\n\z/,
		"$name: one line saying what, then the hint");
}
my ($rc, $help) = cli('--help');
is($rc, 0, '--help: exit 0');
like($help, qr/^Usage: ffrtmp-transcode/m, '--help: prints the usage');

# A file:// INPUT is taken as its path, as submit_job takes it.
$run = transcode("file://$input", "$dir/from_url.mp4", {});
is($run->{status}, 0, 'a file:// input is read') or diag $run->{stderr};

# 7. Numbers as people read them: 30000/1001 is 29.97, not 29.969999999999999.
my $ntsc = ffmpeg_make("$dir/ntsc.mp4", [ '-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=30000/1001:duration=1' ],
	[ '-c:v', 'libx264' ]);
for my $case ([ 'HLS', "$dir/ntsc/index.m3u8", { format => 'hls', renditions => [ { size => '320x180' } ] } ],
	[ 'MP4', "$dir/ntsc.mp4.out.mp4", { duration => 0.1 } ])
{
	my ($name, $output, $params) = @$case;
	mkdir "$dir/ntsc";			# not what this case is about
	my ($rc, $out, $err) = cli('--quiet', '--params=' . json_text($params), $ntsc, $output);
	is($rc, 0, "$name result: done") or diag $err;
	my @long = $out =~ /(-?\d+\.\d*[1-9]\d{10,})/g;
	is_deeply(\@long, [], "$name result: no number with more than 10 significant digits");
	like($out, qr/"(?:frame_rate|fps)":\s*29\.97/, "$name result: the frame rate reads 29.97...");
}

# 8. Staging that cannot be turned against what is around OUTPUT.
# Two runs to one OUTPUT at once: each writes a partial of its own (the old
# code had both write into .same.mp4.partial, the first published it, and
# the second went on writing into the published file).
{
	my @runs = map {
		my %r = (out => '', err => '');
		$r{h} = IPC::Run::start([ $bin, '--quiet', '--params=' . json_text({ size => $_ }),
				'testsrc://320x240@25?duration=4', "$dir/same.mp4" ], '<', \undef, '>', \$r{out}, '2>', \$r{err});
		\%r;
	} ('320x240', '160x120');
	for my $r (@runs)
	{
		ok(eval { $r->{h}->finish }, 'two runs to one OUTPUT: each is done') or diag $r->{err};
	}
	my $decoded = decode_whole("$dir/same.mp4");
	ok($decoded->{ok} && $decoded->{frames} == 100, 'two runs to one OUTPUT: the output is one of them, whole')
	  or diag "$decoded->{frames} frames: $decoded->{errors}";
	is_deeply([ grep { /partial/ } keys %{ tree($dir) } ], [], 'two runs to one OUTPUT: no partial left');
}

# A link left at the partial's name is never followed: the old code wrote the
# video over the link's target (a file) and emptied it (a directory).  The
# shell's process id becomes the transcode's through exec.
{
	mkdir "$dir/links";
	mkdir "$dir/precious";
	open(my $p, '>', "$dir/precious/notes.txt") or die;
	print $p "mine\n";
	close $p;
	my $notes_md5 = md5_of("$dir/precious/notes.txt");
	my $script = 'cd "$1" && for name in .out.mp4.partial ".out.mp4.$$.partial"; do ln -s ../precious/notes.txt "links/$name"; done'
	  . ' && for name in .index.m3u8.partial ".index.m3u8.$$.partial"; do ln -s ../precious "links/$name"; done'
	  . ' && exec "$2" --quiet "--params=$3" "$4" "$5"';
	for my $case ([ 'a file', {}, "$dir/links/out.mp4" ], [ 'HLS', { format => 'hls' }, "$dir/links/index.m3u8" ])
	{
		my ($name, $params, $output) = @$case;
		my ($out, $err) = ('', '');
		IPC::Run::run([ 'sh', '-c', $script, 'sh', $dir, $bin, json_text($params), $input, $output ],
			'<', \undef, '>', \$out, '2>', \$err);
		is(md5_of("$dir/precious/notes.txt"), $notes_md5, "a link at the partial's name ($name): its target is intact")
		  or diag $err;
		ok(!-l $output, "a link at the partial's name ($name): OUTPUT is not the link");
		unlink glob("$dir/links/.*partial");
	}
}

# OUTPUT that is a directory, for a file format: refused before transcoding,
# not after, when the rename fails.
mkdir "$dir/adir";
for my $output ("$dir/adir", "$dir/bdir/")
{
	my ($rc, undef, $err) = cli('--quiet', $input, $output);
	is($rc, 2, "OUTPUT $output (a directory): bad usage");
	like($err, qr/the output .* is a directory/, "OUTPUT $output: says so");
}

# An HLS OUTPUT whose name the HLS muxer would read as a segment-number
# pattern ("%d", "%03d") or a playlist could not name (a line break): bad
# usage up front (the old code failed after transcoding, with a muxer error
# or "a segment of the playlist is missing").  A '%' that is no pattern, a
# space and non-ASCII letters are names like any other.
for my $name ("pct%d", "take%03d", "two\nlines")
{
	my ($rc, undef, $err) = cli('--quiet', '--params={"format": "hls"}', $input, "$dir/odd/$name.m3u8");
	is($rc, 2, "HLS OUTPUT \"$name\": bad usage");
	like($err, qr/the hls output .* may not hold/s, "HLS OUTPUT \"$name\": says why");
}
for my $name ("50%", "with space", "\x{e9}t\x{e9}")
{
	my $path = "$dir/odd/$name.m3u8";
	utf8::encode($path);
	$run = transcode($input, $path, { format => 'hls', hls_segment_seconds => 1 });
	is($run->{status}, 0, "HLS OUTPUT \"$path\": done") or diag $run->{stderr};
	is_deeply(playlists_complete("$dir/odd"), [], "HLS OUTPUT \"$path\": the playlist names files that exist");
}

done_testing();
