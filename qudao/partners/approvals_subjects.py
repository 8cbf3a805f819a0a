from .services import register_subjects

register_subjects()
