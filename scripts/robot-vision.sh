#!/usr/bin/env bash
# rvkit's robot pipeline: scripts/robot-vision.toml under `hub run`, filled in from these options.
#
#   scripts/robot-vision.sh --demo                       # test-pattern cameras, a local ntserver: any machine
#   scripts/robot-vision.sh --team 1234 --calib cam0.yaml --tag-camera '--cam 0' \
#       --driver1 '--cam 2' --driver2 '--url http://10.12.34.11/mjpg/video.mjpg'
#
# Usage: scripts/robot-vision.sh [OPTIONS] [-- HUB-RUN-OPTIONS]
#   --demo               test-pattern cameras and a local ntserver (on --nt-port), so it runs anywhere
#   --team N             the robot's NetworkTables server (roboRIO of team N)
#   --server HOST[:PORT] or this NetworkTables server instead
#   --field NAME|FILE    the field layout (default 2026-rebuilt-welded)
#   --schema S           ntpub's keys: limelight (default) or rvkit
#   --table T            ntpub's table (default limelight; limelight-NAME for a second camera)
#   --tag-camera SRC     the AprilTag camera's cap options (default '--cam 0')
#   --calib FILE         its calibration (required except with --demo)
#   --robot-to-camera P  x,y,z,roll,pitch,yaw of the tag camera on the robot (m, degrees)
#   --driver1 SRC, --driver2 SRC   the drivers' cameras' cap options (default '--cam 1', '--cam 2')
#   --http-port P        the drivers' MJPEG stream (default 1181)
#   --nt-port P          with --demo: the local ntserver's port (default 5810)
#   --seconds N          stop by itself after N seconds (default: until Ctrl-C)
#   --dry-run            print the hub command instead of running it
# Everything after `--` goes to `hub run` (e.g. --http 8080 for the status page, -v).
# `hub status`, `hub logs NAME` and `hub restart NAME` talk to the running pipeline.
set -euo pipefail

usage() { sed -n '/^# Usage:/,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//p}' "$0"; }
die() { echo "robot-vision: $*" >&2; exit 2; }

here=$(cd "$(dirname "$0")" && pwd)
launch=$here/robot-vision.toml
bin=${RVKIT_BIN:-$here/../build/bin}
[ -x "$bin/hub" ] || bin=$(dirname "$(command -v hub 2>/dev/null || echo /nonexistent/hub)")

demo=0 team="" server="" field=2026-rebuilt-welded schema=limelight table=limelight
tag_camera="--cam 0" calib="" robot_to_camera="" driver1="--cam 1" driver2="--cam 2"
http_port=1181 nt_port=5810 seconds=0 dry_run=0 hub_args=()
while [ $# -gt 0 ]; do
  case $1 in
    --demo) demo=1; shift ;;
    --team | --server | --field | --schema | --table | --tag-camera | --calib | --robot-to-camera | \
    --driver1 | --driver2 | --http-port | --nt-port | --seconds)
      [ $# -ge 2 ] || die "$1 needs a value"
      v=${1#--}; v=${v//-/_}; printf -v "$v" '%s' "$2"; shift 2 ;;
    --dry-run) dry_run=1; shift ;;
    --) shift; hub_args=("$@"); break ;;
    -h | --help) usage; exit 0 ;;
    *) echo "robot-vision: unknown option '$1'" >&2; usage >&2; exit 2 ;;
  esac
done
for v in "$http_port" "$nt_port" "$seconds"; do
  [[ $v =~ ^[0-9]+$ ]] || die "'$v' is not a number"
done
[ -x "$bin/hub" ] || { echo "robot-vision: hub not found in ${RVKIT_BIN:-$here/../build/bin} or PATH: build first (see README.md)" >&2; exit 1; }

sets=()
set_var() { sets+=(--set "$1=$2"); }

if [ $demo -eq 1 ]; then
  [ -z "$team$server" ] || die "--demo runs its own NetworkTables server: leave out --team and --server"
  server=127.0.0.1:$nt_port
  # The synthetic camera's exact calibration, so detect gives poses (the same every time: a cache).
  cache=${XDG_CACHE_HOME:-$HOME/.cache}/rvkit
  mkdir -p "$cache"
  "$bin/cap" --test-pattern --fps 0 --count 1 --write-calib "$cache/test-pattern.yaml" >/dev/null
  [ -n "$calib" ] || calib=$cache/test-pattern.yaml
  tag_camera="--test-pattern --fps 30"
  driver1="--test-pattern --fps 15 --seed 2 --tags 1"
  driver2="--test-pattern --fps 15 --seed 3 --tags 2"
  set_var demo true
  set_var robot_topics /limelight/
  set_var overlay_text 'demo: NT /limelight/tid = {/limelight/tid}'
  set_var nt_port "$nt_port"
fi
if [ -n "$team" ]; then
  [ -z "$server" ] || die "give --team or --server, not both"
  [[ $team =~ ^[0-9]+$ ]] || die "--team '$team' is not a team number"
  set_var nt "--team=$team"
elif [ -n "$server" ]; then
  set_var nt "--server=$server"
else
  die "where is the robot? give --team N (or --server HOST, or --demo)"
fi
[ -n "$calib" ] || die "--calib FILE is needed for poses (calibrate the tag camera with calib)"

# Cores: detect gets all but core 0 where there are several; the other stages share core 0.
cores=$(nproc)
if [ "$cores" -gt 1 ]; then set_var detect_cpus "1-$((cores - 1))"; else set_var detect_cpus 0; fi
set_var capture_cpus 0
set_var field "$field"
set_var schema "$schema"
set_var table "$table"
set_var tag_camera "$tag_camera"
set_var tag_calib "$calib"
[ -z "$robot_to_camera" ] || set_var robot_to_camera "$robot_to_camera"
set_var driver1 "$driver1"
set_var driver2 "$driver2"
set_var http_port "$http_port"
set_var shm "rvkit-$http_port"  # two pipelines on one machine need two ports, and so get two sets of names

cmd=("$bin/hub" run "$launch" "${sets[@]}" "${hub_args[@]}")
if [ "$seconds" -gt 0 ]; then cmd=(timeout --foreground -s INT "$seconds" "${cmd[@]}"); fi
if [ $dry_run -eq 1 ]; then printf '%q ' "${cmd[@]}"; echo; exit 0; fi
echo "robot-vision: the drivers' video: http://localhost:$http_port/ ; \`$bin/hub status\` shows the processes; Ctrl-C stops everything" >&2
[ "$seconds" -gt 0 ] || exec "${cmd[@]}"  # hub run itself: signals and systemd reach it directly
rc=0
"${cmd[@]}" || rc=$?
[ $rc -ne 124 ] || rc=0  # --seconds is up: a normal end
exit $rc
