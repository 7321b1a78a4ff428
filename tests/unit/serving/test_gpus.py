from smgitops.serving.gpus import gpu_for_worker, visible_gpu_count


def test_workers_take_the_gpus_in_turn_and_none_without_gpus():
    assert [gpu_for_worker(slot, 2) for slot in range(4)] == [0, 1, 0, 1]
    assert gpu_for_worker(0, 0) is None


def test_cuda_visible_devices_decides_when_set(tmp_path):
    (tmp_path / "nvidia0").touch()
    assert visible_gpu_count({"CUDA_VISIBLE_DEVICES": "2,3,5"}, tmp_path) == 3
    assert visible_gpu_count({"CUDA_VISIBLE_DEVICES": "GPU-8c1a,GPU-77f0"}, tmp_path) == 2
    assert visible_gpu_count({"CUDA_VISIBLE_DEVICES": ""}, tmp_path) == 0
    assert visible_gpu_count({"CUDA_VISIBLE_DEVICES": "0,-1,2"}, tmp_path) == 1


def test_otherwise_the_nvidia_devices_are_counted(tmp_path):
    for name in ("nvidia0", "nvidia1", "nvidiactl", "nvidia-uvm", "null"):
        (tmp_path / name).touch()
    assert visible_gpu_count({}, tmp_path) == 2
    assert visible_gpu_count({}, tmp_path / "missing") == 0
