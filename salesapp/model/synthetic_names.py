"""Cyrillic names for the synthetic data: shops, categories and items, with commas and quotes.

The real 1C files are full of names like `Москва ТЦ "Семеновский"`, `Игры - PS3` and item titles
holding commas and quotes; the loader must cope with them, so the generator writes such names.
"""

from __future__ import annotations

import numpy as np

CITIES = ("Москва", "Адыгея", "Балашиха", "Волжский", "Вологда", "Воронеж", "Екатеринбург",
          "Казань", "Калуга", "Коломна", "Красноярск", "Курск", "Мытищи", "Новосибирск", "Омск",
          "Ростов-на-Дону", "Самара", "Сергиев Посад", "Сургут", "Томск", "Тюмень", "Уфа",
          "Химки", "Чехов", "Ярославль", "Н.Новгород", "СПб", "Пермь", "Тверь", "Кострома")
MALLS = ("Семеновский", "Мега", "Европа", "Пушкинский", "Атриум", "Галерея", "Октябрь", "Радуга",
         "Июнь", "Форум", "Гранд", "Парк Хаус", "Колумбус", "Перловский", "Хорошо", "Гагаринский")

# Names that the loader's alias detection must pair up (same shop under two ids, as in the real
# data: 0 -> 57, 1 -> 58, 10 -> 11) and the shops that only ran sale events.
SPECIAL_SHOPS = {
    0: '!Якутск Орджоникидзе, 56 фран',
    57: 'Якутск Орджоникидзе, 56',
    1: '!Якутск ТЦ "Центральный" фран',
    58: 'Якутск ТЦ "Центральный"',
    10: 'Жуковский ул. Чкалова 39м?',
    11: 'Жуковский ул. Чкалова 39м²',
    9: 'Выездная Торговля',
    20: 'Москва "Распродажа"',
    12: 'Интернет-магазин ЧС',
    55: 'Цифровой склад 1С-Онлайн',
}

CATEGORY_FAMILIES = (
    ("Игры", ("PS3", "PS4", "PSP", "PSVita", "XBOX 360", "XBOX ONE", "Аксессуары для игр",
              "Стандартные издания", "Коллекционные издания", "Цифра")),
    ("Игры PC", ("Стандартные издания", "Коллекционные издания", "Цифра", "Дополнительные издания")),
    ("Аксессуары", ("PS2", "PS3", "PS4", "PSP", "PSVita", "XBOX 360", "XBOX ONE")),
    ("Игровые консоли", ("PS2", "PS3", "PS4", "PSP", "PSVita", "XBOX 360", "XBOX ONE", "Прочие")),
    ("Кино", ("Blu-Ray", "Blu-Ray 3D", "Blu-Ray 4K", "DVD", "Коллекционное")),
    ("Книги", ("Артбуки, энциклопедии", "Аудиокниги", "Аудиокниги (Цифра)", "Бизнес литература",
               "Комиксы, манга", "Компьютерная литература", "Методические материалы 1С",
               "Открытки", "Познавательная литература", "Путеводители", "Художественная литература",
               "Цифра")),
    ("Музыка", ("CD локального производства", "CD фирменного производства", "MP3",
                "Винил", "Музыкальное видео", "Подарочные издания")),
    ("Подарки", ("Атрибутика", "Гаджеты, роботы, спорт", "Мягкие игрушки", "Настольные игры",
                 "Настольные игры (компактные)", "Открытки, наклейки", "Развитие",
                 "Сертификаты, услуги", "Сувениры", "Сувениры (в навеску)", "Сумки, Альбомы, Коврики",
                 "Фигурки")),
    ("Программы", ("1С:Предприятие 8", "MAC (Цифра)", "Для дома и офиса",
                   "Для дома и офиса (Цифра)", "Обучающие", "Обучающие (Цифра)")),
    ("Карты оплаты", ("Live!", "Live! (Цифра)", "PSN", "Windows (Цифра)",
                      "Кино, Музыка, Игры")),
    ("Служебные", ("Билеты", "Доставка товара")),
    ("Чистые носители", ("шпиль", "штучные")),
    ("Элементы питания", ("",)),
    ("PC", ("Гарнитуры/Наушники",)),
    ("Билеты (Цифра)", ("",)),
)

TITLE_WORDS = ("Война", "Мир", "Ночь", "Город", "Звезда", "Тайна", "Легенда", "Дракон", "Король",
               "Путь", "Остров", "Море", "Небо", "Огонь", "Лёд", "Тень", "Сердце", "Герой", "Время",
               "Дорога", "Охота", "Игра", "Песня", "Сказка", "Битва", "Империя", "Память", "Сила")
ADJECTIVES = ("Тёмная", "Последняя", "Великая", "Новая", "Тихая", "Белая", "Красная", "Вечная",
              "Дикая", "Золотая", "Старая", "Железная", "Синяя", "Лунная", "Русская", "Северная")
EDITIONS = ("", " (рус. версия)", ", Коллекционное издание", " [PC, Цифровая версия]",
            ' (англ. версия), "Limited"', " (Регион)", ", 2 DVD", " BD", ", 3 CD", " (фирм.)")


def shop_names(n_shops: int) -> list[str]:
    """One name per shop id, special shops (aliases, events) at their fixed ids; all distinct."""
    names = []
    for sid in range(n_shops):
        if sid in SPECIAL_SHOPS:
            names.append(SPECIAL_SHOPS[sid])
            continue
        city = CITIES[sid % len(CITIES)]
        mall = MALLS[(sid * 7) % len(MALLS)]
        names.append(f'{city} ТЦ "{mall}" {sid}' if sid % 3 else f'{city} ТРК "{mall}", {sid}')
    return names


def category_names(n_categories: int) -> list[str]:
    """`Family - Kind` names like the real `Игры - PS3`, padded with numbered ones if needed."""
    names = [f"{fam} - {kind}" if kind else fam
             for fam, kinds in CATEGORY_FAMILIES for kind in kinds]
    names += [f"Прочее - Разное {i}" for i in range(len(names), n_categories)]
    return names[:n_categories]


def item_names(rng: np.random.Generator, n_items: int) -> np.ndarray:
    """Item titles with quotes and commas, e.g. `"Тёмная Звезда", Коллекционное издание`."""
    adj = np.array(ADJECTIVES, dtype=object)[rng.integers(0, len(ADJECTIVES), n_items)]
    noun = np.array(TITLE_WORDS, dtype=object)[rng.integers(0, len(TITLE_WORDS), n_items)]
    ed = np.array(EDITIONS, dtype=object)[rng.integers(0, len(EDITIONS), n_items)]
    number = np.arange(n_items).astype(str).astype(object)
    quoted = rng.random(n_items) < 0.5
    title = adj + " " + noun + " " + number
    title = np.where(quoted, '"' + title + '"', title)
    return (title + ed).astype(str)
