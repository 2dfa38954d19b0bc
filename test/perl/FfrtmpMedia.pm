
=pod

=head1 NAME

FfrtmpMedia - making and probing media, for the media conformance layer
(test/media, no database) and the end-to-end tests (test/t): make inputs
with the ffmpeg command line, run them through the worker's engine
(ffrtmp-transcode), and read the outputs back with ffprobe, by decoding
them whole, and from the files on disk (mp4 boxes, HLS playlists).

=head1 SYNOPSIS

  use FfrtmpMedia;
  my $dir = media_dir();
  my $in = ffmpeg_make("$dir/in.mp4", [ '-f', 'lavfi', '-i', 'testsrc2=size=640x360:d=2' ],
                       [ '-c:v', 'libx264' ]);
  my $run = transcode($in, "$dir/out.mp4", { size => '1280x720' });
  is($run->{status}, 0, ...);
  my $v = video_info("$dir/out.mp4");   # display size, colour tags, field order...
  my $clip = make_clip("$dir/clip.mp4", seconds => 2);   # test pattern + tone
  my $s = probe_summary($clip);         # codecs, size, fps, frames, seconds
  my $list = hls_media("$dir/hls/index.m3u8");   # segments, EXTINF, ENDLIST

Nothing here needs a database: clusters and workers are FfrtmpCluster's,
servers FfrtmpServers'.  transcode() needs FFRTMP_TRANSCODE (set by scripts/test.sh) or
ffrtmp-transcode on PATH.

=cut

package FfrtmpMedia;

use strict;
use warnings;
use Carp;
use Exporter 'import';
use File::Find ();
use File::Temp ();
use IPC::Run ();
use JSON::PP ();
use POSIX qw(floor);
use Test::More ();

our @EXPORT = qw(media_dir ffmpeg_make make_clip transcode ffprobe_json probe_summary video_info
  audio_streams decode_whole idet_counts ffmpeg_reference packet_md5 json_text
  luma_grid picture_box mp4_top_level_boxes files_under);

my $json = JSON::PP->new->canonical->allow_nonref;

sub json_text { return $json->encode($_[0]) }

# A directory for one test file's inputs and outputs, removed at exit unless
# KEEP_MEDIA is set (then its path is printed for reading).
sub media_dir
{
	my $dir = File::Temp::tempdir('ffrtmp-media-XXXXXX', TMPDIR => 1, CLEANUP => !$ENV{KEEP_MEDIA});
	print "# media files in $dir\n" if $ENV{KEEP_MEDIA};
	return $dir;
}

sub _run
{
	my ($cmd, $timeout) = @_;
	my ($out, $err) = ('', '');
	my $ok = eval { IPC::Run::run($cmd, '<', \undef, '>', \$out, '2>', \$err, IPC::Run::timeout($timeout // 300)) };
	return ($ok ? 0 : ($? >> 8) || 1, $out, $err . ($@ // ''));
}

# ffmpeg_make(PATH, [input options...], [output options...]): writes PATH
# with the ffmpeg command line (dies when ffmpeg fails: the input is the
# test's premise, not what it tests).
sub ffmpeg_make
{
	my ($path, $inputs, $outputs) = @_;
	my ($rc, undef, $err) = _run([ 'ffmpeg', '-nostdin', '-hide_banner', '-v', 'error', '-y', @$inputs, @$outputs, $path ]);
	croak "could not make $path: $err" if $rc;
	return $path;
}

# The same transcode by the ffmpeg command line, for tests where ffmpeg is
# the reference: ffmpeg_reference(INPUT, OUTPUT, [output options]).
sub ffmpeg_reference
{
	my ($input, $output, $options) = @_;
	return ffmpeg_make($output, [ '-i', $input ], $options);
}

# Writes a test clip: a test pattern and a 440 Hz tone.  Options: size
# (640x360), fps (30), seconds (4), vcodec (libx264), acodec (aac), extra
# (more output options).
sub make_clip
{
	my ($path, %o) = @_;
	my $size = $o{size} // '640x360';
	my $fps = $o{fps} // 30;
	my $seconds = $o{seconds} // 4;
	my $vcodec = $o{vcodec} // 'libx264';
	return ffmpeg_make($path,
		[ '-f', 'lavfi', '-i', "testsrc=size=$size:rate=$fps:duration=$seconds",
		  '-f', 'lavfi', '-i', "sine=frequency=440:sample_rate=48000:duration=$seconds" ],
		[ '-c:v', $vcodec, '-pix_fmt', 'yuv420p', '-g', $fps,
		  ($vcodec eq 'libx264' ? ('-preset', 'ultrafast') : ()),
		  '-c:a', $o{acodec} // 'aac', '-shortest', @{ $o{extra} // [] } ]);
}

# transcode(INPUT, OUTPUT, PARAMS_HASH, [extra options]): runs the worker's
# engine.  Returns { status (exit code), result (the printed JSON, decoded),
# stderr, error (the message after "ffrtmp-transcode: "), reason (its class) }.
sub transcode
{
	my ($input, $output, $params, @extra) = @_;
	my $bin = $ENV{FFRTMP_TRANSCODE} // 'ffrtmp-transcode';
	my ($rc, $out, $err) = _run([ $bin, '--quiet', '--params=' . $json->encode($params // {}), @extra, $input, $output ]);
	my %r = (status => $rc, stderr => $err);
	$r{result} = eval { $json->decode($out) } if $rc == 0 && $out =~ /\S/;
	if ($err =~ /^ffrtmp-transcode: (.*) \((\w+)\)$/m)
	{
		@r{qw(error reason)} = ($1, $2);
	}
	return \%r;
}

# ffprobe's JSON (format and streams) of a file or URL, or undef when it
# cannot be read (the reason goes to the test's log).  Options: count
# (default 1: count packets, giving nb_read_packets; 0 for live URLs),
# timeout (seconds, default 300), args (more ffprobe arguments, e.g.
# ['-show_packets']).
sub ffprobe_json
{
	my ($target, %o) = @_;
	my ($rc, $out, $err) = _run([ 'ffprobe', '-v', 'error', '-print_format', 'json', '-show_format', '-show_streams',
		(($o{count} // 1) ? ('-count_packets') : ()), @{ $o{args} // [] }, $target ], $o{timeout});
	if ($rc)
	{
		Test::More::note("ffprobe $target: $err");
		return undef;
	}
	my $probe = eval { $json->decode($out) };
	return $probe && $probe->{streams} ? $probe : undef;
}

# What the tests compare, flattened from ffprobe:
#   { format, duration, size, nb_streams,
#     video => { codec, width, height, fps, frames, seconds, bit_rate, profile },
#     audio => { codec, sample_rate, channels, frames } }
# video.frames is the number of video packets (count => 1) and seconds is
# frames / fps: the length of the picture, whatever the container says.
sub probe_summary
{
	my ($target, %o) = @_;
	my $probe = ffprobe_json($target, count => 1, %o) or return undef;
	my %s = (
		format     => $probe->{format}{format_name},
		duration   => $probe->{format}{duration},
		size       => $probe->{format}{size},
		nb_streams => scalar @{ $probe->{streams} });
	for my $st (@{ $probe->{streams} })
	{
		my $type = $st->{codec_type} // '';
		if ($type eq 'video' && !$s{video})
		{
			my $fps = _ratio($st->{avg_frame_rate}) || _ratio($st->{r_frame_rate});
			$s{video} = {
				codec    => $st->{codec_name},
				profile  => $st->{profile},
				width    => $st->{width},
				height   => $st->{height},
				fps      => $fps,
				frames   => $st->{nb_read_packets},
				bit_rate => $st->{bit_rate},
				seconds  => ($fps && $st->{nb_read_packets}) ? $st->{nb_read_packets} / $fps : undef,
			};
		}
		elsif ($type eq 'audio' && !$s{audio})
		{
			$s{audio} = {
				codec       => $st->{codec_name},
				sample_rate => $st->{sample_rate},
				channels    => $st->{channels},
				frames      => $st->{nb_read_packets},
			};
		}
	}
	return \%s;
}

sub _ratio
{
	my ($text) = @_;
	return undef unless defined $text && $text =~ /^(\d+)[:\/](\d+)$/ && $2 > 0;
	return $1 / $2;
}

# The first video stream as a viewer sees it:
#   { codec, profile, level, width, height (as stored), sar (number, 1 when
#     unset), rotation (degrees of the display matrix, 0 when none),
#     display_width, display_height (after SAR, then rotation),
#     pix_fmt, color_range, color_space, color_primaries, color_transfer,
#     field_order, frames, fps, side_data (the list) }
sub video_info
{
	my ($path) = @_;
	my $probe = ffprobe_json($path) or return undef;
	my ($st) = grep { ($_->{codec_type} // '') eq 'video' && !($_->{disposition}{attached_pic}) } @{ $probe->{streams} };
	return undef unless $st;
	my $rotation = 0;
	for my $sd (@{ $st->{side_data_list} // [] })
	{
		$rotation = $sd->{rotation} if defined $sd->{rotation};
	}
	$rotation = $st->{tags}{rotate} if !$rotation && defined $st->{tags}{rotate};
	my $sar = _ratio($st->{sample_aspect_ratio}) || 1;
	my ($w, $h) = ($st->{width} * $sar, $st->{height});
	($w, $h) = ($h, $w) if abs($rotation) % 180 == 90;
	my %v = (
		(map { $_ => $st->{$_} } qw(codec_name profile level width height pix_fmt field_order
			color_range color_space color_primaries color_transfer)),
		codec          => $st->{codec_name},
		sar            => $sar,
		rotation       => $rotation,
		display_width  => $w,
		display_height => $h,
		frames         => $st->{nb_read_packets},
		fps            => _ratio($st->{avg_frame_rate}) // _ratio($st->{r_frame_rate}),
		side_data      => $st->{side_data_list} // [],
		duration       => $probe->{format}{duration},
	);
	$v{$_} //= 'unknown' for qw(color_range color_space color_primaries color_transfer field_order);
	return \%v;
}

# The audio streams: [ { index, codec, channels, language, default } ... ].
sub audio_streams
{
	my ($path) = @_;
	my $probe = ffprobe_json($path) or return [];
	return [ map { { index => $_->{index}, codec => $_->{codec_name}, channels => $_->{channels},
		language => $_->{tags}{language}, default => $_->{disposition}{default},
		frames => $_->{nb_read_packets} } }
		grep { ($_->{codec_type} // '') eq 'audio' } @{ $probe->{streams} } ];
}

# Decodes the whole file with ffmpeg and counts video frames.  Returns
# { ok (no decode error), errors (ffmpeg's messages), frames }.
sub decode_whole
{
	my ($path) = @_;
	my ($rc, $out, $err) = _run([ 'ffmpeg', '-nostdin', '-hide_banner', '-v', 'error', '-xerror', '-i', $path,
		'-map', '0', '-f', 'null', '-', '-progress', 'pipe:1' ]);
	my ($frames) = $out =~ /.*frame=(\d+)/s;
	return { ok => $rc == 0 && $err !~ /\S/, errors => $err, frames => $frames // 0 };
}

# ffmpeg's idet filter over the whole video: { tff, bff, progressive,
# undetermined } from its multi-frame detection.
sub idet_counts
{
	my ($path) = @_;
	my ($rc, undef, $err) = _run([ 'ffmpeg', '-nostdin', '-hide_banner', '-v', 'info', '-i', $path,
		'-vf', 'idet', '-an', '-f', 'null', '-' ]);
	my %c;
	if ($err =~ /Multi frame detection: TFF:\s*(\d+)\s*BFF:\s*(\d+)\s*Progressive:\s*(\d+)\s*Undetermined:\s*(\d+)/)
	{
		@c{qw(tff bff progressive undetermined)} = ($1, $2, $3, $4);
	}
	return \%c;
}

# One MD5 of a stream's packets as stored ($map: '0:v', '0:a').
sub packet_md5
{
	my ($path, $map) = @_;
	my ($rc, $out, $err) = _run([ 'ffmpeg', '-nostdin', '-v', 'error', '-i', $path, '-map', $map, '-c', 'copy',
		'-f', 'md5', '-' ]);
	return $rc ? "error: $err" : $out;
}

# --- HLS playlists (RFC 8216), measured from the segments on disk ----------

push @EXPORT, qw(hls_master hls_media hls_measure hls_expected_codecs);

# A master playlist's variants: [ { uri, BANDWIDTH, AVERAGE-BANDWIDTH,
# CODECS, RESOLUTION, FRAME-RATE... (every attribute, unquoted) } ].
sub hls_master
{
	my ($path) = @_;
	open(my $fh, '<', $path) or return undef;
	my (@variants, $pending);
	while (my $line = <$fh>)
	{
		$line =~ s/\s+$//;
		if ($line =~ /^#EXT-X-STREAM-INF:(.*)/)
		{
			my $list = $1;
			$pending = {};
			while ($list =~ /\G([A-Z0-9-]+)=("[^"]*"|[^,]*),?/gc)
			{
				my ($name, $value) = ($1, $2);
				$value =~ s/^"(.*)"$/$1/;
				$pending->{$name} = $value;
			}
		}
		elsif ($line ne '' && $line !~ /^#/ && $pending)
		{
			$pending->{uri} = $line;
			push @variants, $pending;
			undef $pending;
		}
	}
	return \@variants;
}

# A media playlist: { target (EXT-X-TARGETDURATION), ended, seconds (the sum
# of EXTINF), segments => [ { duration (EXTINF), uri, bytes (size on disk,
# beside the playlist) } ] }.
sub hls_media
{
	my ($path) = @_;
	open(my $fh, '<', $path) or return undef;
	my ($dir) = $path =~ m{^(.*/)} ? $1 : '';
	my %p = (segments => [], ended => 0, seconds => 0);
	my $extinf;
	while (my $line = <$fh>)
	{
		$line =~ s/\s+$//;
		if ($line =~ /^#EXT-X-TARGETDURATION:(-?\d+)/) { $p{target} = $1 }
		elsif ($line =~ /^#EXTINF:([\d.]+)/) { $extinf = $1; $p{seconds} += $1 }
		elsif ($line eq '#EXT-X-ENDLIST') { $p{ended} = 1 }
		elsif ($line ne '' && $line !~ /^#/ && defined $extinf)
		{
			push @{ $p{segments} }, { duration => $extinf, uri => $line, bytes => -s "$dir$line" // -1 };
			undef $extinf;
		}
	}
	return \%p;
}

# Bit rates of a media playlist's segments, in bits/s: { peak (RFC 8216
# 4.1: the fastest run of segments lasting 0.5 to 1.5 target durations, or
# the fastest segment when no run does), fastest (the fastest single
# segment), average (all bits over all EXTINF), seconds }.
sub hls_measure
{
	my ($media) = @_;
	my @s = @{ $media->{segments} };
	my $target = $media->{target} || 1;
	my ($peak, $fastest, $bits, $seconds) = (0, 0, 0, 0);
	for my $i (0 .. $#s)
	{
		$fastest = $s[$i]{bytes} * 8 / $s[$i]{duration} if $s[$i]{duration} > 0 && $s[$i]{bytes} * 8 / $s[$i]{duration} > $fastest;
		my ($b, $d) = (0, 0);
		for my $j ($i .. $#s)
		{
			$b += $s[$j]{bytes} * 8;
			$d += $s[$j]{duration};
			last if $d > 1.5 * $target;
			$peak = $b / $d if $d >= 0.5 * $target && $b / $d > $peak;
		}
		$bits += $s[$i]{bytes} * 8;
		$seconds += $s[$i]{duration};
	}
	return { peak => $peak || $fastest, fastest => $fastest, average => $seconds ? $bits / $seconds : 0,
		seconds => $seconds };
}

# The CODECS value RFC 6381 gives a media file's first video and audio
# streams, worked out independently of the worker: avc1.PPCCLL from the
# SPS bytes of the first video packet (with ffprobe's profile and level
# cross-checked by the caller), mp4a.40.<object type> from ffprobe's AAC
# profile.  Returns (string, ffprobe's video stream).
sub hls_expected_codecs
{
	my ($path) = @_;
	my $probe = ffprobe_json($path) or return ('', undef);
	my ($v) = grep { $_->{codec_type} eq 'video' } @{ $probe->{streams} };
	my ($a) = grep { $_->{codec_type} eq 'audio' } @{ $probe->{streams} };
	my @codecs;
	if ($v)
	{
		my ($rc, $raw) = _run([ 'ffmpeg', '-nostdin', '-v', 'error', '-i', $path, '-map', '0:v:0', '-frames:v', '1',
			'-c', 'copy', '-bsf:v', 'h264_mp4toannexb', '-f', 'h264', '-' ]);
		my ($sps) = $raw =~ /\x00\x00\x01[\x27\x47\x67](...)/s;
		push @codecs, $sps ? sprintf('avc1.%02x%02x%02x', unpack('C3', $sps)) : 'no-sps';
	}
	if ($a)
	{
		my %object_type = (LC => 2, 'HE-AAC' => 5, 'HE-AACv2' => 29, Main => 1);
		push @codecs, 'mp4a.40.' . ($object_type{ $a->{profile} // '' } // '?');
	}
	return (join(',', @codecs), $v);
}

# --- Rotation, pixel aspect, odd sizes --------------------------------------

# The mean luma (0-255, full range) of a COLS x ROWS grid over the first
# frame, row by row, optionally after a crop ("w:h:x:y"): where a marker
# drawn in one corner of the input ended up.
sub luma_grid
{
	my ($path, $cols, $rows, $crop) = @_;
	my $vf = ($crop ? "crop=$crop," : '') . "scale=$cols:$rows:flags=area,format=gray";
	my ($rc, $out, $err) = _run([ 'ffmpeg', '-nostdin', '-v', 'error', '-i', $path, '-vf', $vf, '-frames:v', '1',
		'-f', 'rawvideo', '-' ]);
	croak "could not read a frame of $path: $err" if $rc || length($out) != $cols * $rows;
	return [ unpack('C*', $out) ];
}

# The part of the frame that is not black padding, by ffmpeg's cropdetect
# over the first frames: { width, height, x, y }.  The picture itself must
# have no black edge.
sub picture_box
{
	my ($path) = @_;
	my ($rc, undef, $err) = _run([ 'ffmpeg', '-nostdin', '-hide_banner', '-v', 'info', '-i', $path,
		'-vf', 'cropdetect=limit=24:round=2:reset=1', '-frames:v', '3', '-an', '-f', 'null', '-' ]);
	my @all = $err =~ /crop=(\d+):(\d+):(\d+):(\d+)/g;
	return undef unless @all;
	my ($w, $h, $x, $y) = @all[-4 .. -1];
	return { width => $w, height => $h, x => $x, y => $y };
}

# --- Outputs on disk ---------------------------------------------------------

# The top-level box types of an mp4 file, in file order.
sub mp4_top_level_boxes
{
	my ($path) = @_;
	open(my $fh, '<:raw', $path) or return ();
	my $size_left = -s $path;
	my @types;
	my $offset = 0;
	while ($offset + 8 <= $size_left)
	{
		seek($fh, $offset, 0);
		read($fh, my $header, 16) >= 8 or last;
		my ($size, $type) = unpack('N a4', $header);
		if ($size == 1)
		{
			my ($hi, $lo) = unpack('N N', substr($header, 8, 8));
			$size = $hi * 4294967296 + $lo;
		}
		elsif ($size == 0)
		{
			$size = $size_left - $offset;
		}
		push @types, $type;
		last if $size < 8;
		$offset += $size;
	}
	close $fh;
	return @types;
}

# Every file and symbolic link below $dir (relative paths, sorted),
# hidden ones included.
sub files_under
{
	my ($dir) = @_;
	return () unless -d $dir;
	my @files;
	File::Find::find(
		{
			wanted => sub {
				return if -d $_ && !-l $_;
				(my $rel = $File::Find::name) =~ s{^\Q$dir\E/?}{};
				push @files, $rel;
			},
			no_chdir => 1
		},
		$dir);
	# Through an array: sort in scalar context is undefined (it gives undef),
	# and callers test !files_under(...) for "nothing is left".
	my @sorted = sort @files;
	return @sorted;
}

1;
