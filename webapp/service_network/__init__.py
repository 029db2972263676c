"""The service network (DOMAIN.md §12): service points, 同城通办 and 帮办代办."""
