"""Run inside .venv-devkit: load a dataroot with the official nuscenes-devkit and print
every box as the devkit reads it (global frame via ``get_box`` and sensor frame via
``get_sample_data``) as JSON on stdout. Usage: devkit_check.py DATAROOT VERSION"""

import json
import sys

from nuscenes.nuscenes import NuScenes


def main() -> None:
    dataroot, version = sys.argv[1], sys.argv[2]
    nusc = NuScenes(version=version, dataroot=dataroot, verbose=False)
    out = {"global": {}, "sensor": {}, "instances": {}}
    for rec in nusc.sample_annotation:
        box = nusc.get_box(rec["token"])
        out["global"][rec["token"]] = {"center": box.center.tolist(), "wlh": box.wlh.tolist(),
                                       "yaw": box.orientation.yaw_pitch_roll[0],
                                       "num_lidar_pts": rec["num_lidar_pts"], "prev": rec["prev"],
                                       "next": rec["next"], "category": rec["category_name"]}
    for inst in nusc.instance:
        out["instances"][inst["token"]] = {"nbr": inst["nbr_annotations"],
                                           "first": inst["first_annotation_token"],
                                           "last": inst["last_annotation_token"]}
    for sample in nusc.sample:
        sd_token = sample["data"]["LIDAR_TOP"]
        path, boxes, _ = nusc.get_sample_data(sd_token)
        for box in boxes:
            out["sensor"][box.token] = {"center": box.center.tolist(), "wlh": box.wlh.tolist(),
                                        "yaw": box.orientation.yaw_pitch_roll[0], "sample_data": sd_token,
                                        "rotation": box.orientation.elements.tolist()}
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
