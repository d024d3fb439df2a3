"""Parts of ``bench/core_messaging.py``: its workload, raw baselines and driver comparison."""
